/* SHA-256 (FIPS 180-4), for comparing test outputs with golden hashes. */
#ifndef UPERNET_TESTS_SHA256_H
#define UPERNET_TESTS_SHA256_H

#include <stddef.h>

/* Writes the 64 lowercase hex digits of SHA-256(data) and a NUL to hex. */
void test_sha256_hex(const void *data, size_t size, char hex[65]);

#endif
