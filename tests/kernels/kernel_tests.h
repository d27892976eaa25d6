/* Each kernel family's Check tests, added for one tier at a time.
 * For the scalar tier a family tests its reference against known answers and
 * invariants; for a SIMD tier it tests that tier's variant against the scalar
 * reference on ragged shapes. A family with no variant of the tier adds
 * nothing (and says so on stdout). */
#ifndef UPERNET_TESTS_KERNEL_TESTS_H
#define UPERNET_TESTS_KERNEL_TESTS_H

#include <check.h>

#include "upernet.h"

void add_layernorm_tests(Suite *suite, enum upernet_isa tier);
void add_igemm_tests(Suite *suite, enum upernet_isa tier);
void add_dwconv7x7_tests(Suite *suite, enum upernet_isa tier);
void add_gelu_tests(Suite *suite, enum upernet_isa tier);
void add_dwconv7x7_wide_tests(Suite *suite, enum upernet_isa tier);
void add_winograd23_tests(Suite *suite, enum upernet_isa tier);
void add_bilinear_tests(Suite *suite, enum upernet_isa tier);
void add_bilinear_argmax_tests(Suite *suite, enum upernet_isa tier);

#endif
