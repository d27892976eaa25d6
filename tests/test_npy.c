/* The .npy reader and writer: round trips, the header NumPy writes (v1,
 * 64-byte aligned), v2/v3 headers, and malformed or unsupported files
 * refused with a message naming the file. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/npy.h"

static char tmpdir[64];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/upernet-test-npy-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

START_TEST(test_round_trip)
{
    make_tmpdir();
    char path[128];
    snprintf(path, sizeof path, "%s/a.npy", tmpdir);
    const size_t shape[4] = {1, 3, 5, 7};
    float data[105];
    for (int i = 0; i < 105; i++)
        data[i] = (float) i * 0.25f - 3.0f;
    upernet_error err;
    ck_assert(upernet_npy_write(path, shape, 4, data, &err) == UPERNET_OK);

    /* NumPy's layout: v1.0, header ends in '\n', data offset a multiple of 64. */
    FILE *f = fopen(path, "rb");
    unsigned char head[128];
    ck_assert_uint_eq(fread(head, 1, sizeof head, f), sizeof head);
    fclose(f);
    ck_assert(memcmp(head, "\x93NUMPY\x01\x00", 8) == 0);
    const size_t header_len = head[8] | (size_t) head[9] << 8;
    ck_assert_uint_eq((10 + header_len) % 64, 0);
    ck_assert_int_eq(head[10 + header_len - 1], '\n');
    ck_assert(memcmp(head + 10, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 5, 7), }",
                     65) == 0);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq((size_t) st.st_size, 10 + header_len + sizeof data);

    upernet_array npy;
    ck_assert_msg(upernet_npy_read(path, &npy, &err) == UPERNET_OK, "%s", err.message);
    ck_assert_uint_eq(npy.ndim, 4);
    for (int d = 0; d < 4; d++)
        ck_assert_uint_eq(npy.shape[d], shape[d]);
    ck_assert_uint_eq(npy.numel, 105);
    ck_assert(memcmp(npy.data, data, sizeof data) == 0);
    upernet_array_free(&npy);

    /* 1-D and scalar shapes spell like NumPy: (5,) and (). */
    const size_t five = 5;
    ck_assert(upernet_npy_write(path, &five, 1, data, &err) == UPERNET_OK);
    ck_assert(upernet_npy_read(path, &npy, &err) == UPERNET_OK);
    ck_assert_uint_eq(npy.ndim, 1);
    ck_assert_uint_eq(npy.shape[0], 5);
    upernet_array_free(&npy);
    ck_assert(upernet_npy_write(path, NULL, 0, data, &err) == UPERNET_OK);
    ck_assert(upernet_npy_read(path, &npy, &err) == UPERNET_OK);
    ck_assert_uint_eq(npy.ndim, 0);
    ck_assert_uint_eq(npy.numel, 1);
    ck_assert(npy.data[0] == data[0]);
    upernet_array_free(&npy);

    /* No temporary file is left behind. */
    unlink(path);
    ck_assert_int_eq(rmdir(tmpdir), 0);
}
END_TEST

START_TEST(test_write_failure_names_file)
{
    upernet_error err;
    const size_t n = 1;
    float v = 1;
    ck_assert(upernet_npy_write("/nonexistent-dir/x.npy", &n, 1, &v, &err) == UPERNET_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent-dir/x.npy"));
    upernet_array npy;
    ck_assert(upernet_npy_read("/nonexistent-dir/x.npy", &npy, &err) == UPERNET_ERR_IO);
    ck_assert_ptr_nonnull(strstr(err.message, "/nonexistent-dir/x.npy"));
}
END_TEST

/* Builds a .npy image: version major.0, header text padded to 16 bytes, then
 * `data_bytes` bytes of data. */
static size_t build(unsigned char *buf, int major, const char *header, size_t data_bytes)
{
    size_t n = strlen(header);
    size_t prefix = major == 1 ? 10 : 12;
    size_t padded = (prefix + n + 1 + 15) / 16 * 16 - prefix;
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char) major;
    buf[7] = 0;
    if (major == 1) {
        buf[8] = (unsigned char) (padded & 0xff);
        buf[9] = (unsigned char) (padded >> 8);
    } else {
        buf[8] = (unsigned char) (padded & 0xff);
        buf[9] = (unsigned char) (padded >> 8);
        buf[10] = buf[11] = 0;
    }
    memcpy(buf + prefix, header, n);
    memset(buf + prefix + n, ' ', padded - n);
    buf[prefix + padded - 1] = '\n';
    memset(buf + prefix + padded, 0, data_bytes);
    return prefix + padded + data_bytes;
}

START_TEST(test_versions_2_and_3)
{
    unsigned char buf[512];
    upernet_array npy;
    upernet_error err;
    for (int major = 2; major <= 3; major++) {
        size_t n = build(buf, major, "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}",
                         24);
        ck_assert_msg(upernet_npy_parse(buf, n, "v.npy", &npy, &err) == UPERNET_OK, "%s",
                      err.message);
        ck_assert_uint_eq(npy.ndim, 2);
        ck_assert_uint_eq(npy.shape[1], 3);
        upernet_array_free(&npy);
    }
}
END_TEST

struct bad_file {
    int major;
    const char *header;
    size_t data_bytes;
    enum upernet_status status;
    const char *message_part;
};

static const struct bad_file bad_files[] = {
    {1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 16, UPERNET_ERR_UNSUPPORTED,
     "'<f8'"},
    {1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8, UPERNET_ERR_UNSUPPORTED,
     "'>f4'"},
    {1, "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 8, UPERNET_ERR_UNSUPPORTED,
     "'|O'"},
    {1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16, UPERNET_ERR_UNSUPPORTED,
     "Fortran"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 12, UPERNET_ERR_FORMAT,
     "16 bytes"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 20, UPERNET_ERR_FORMAT,
     "20 data bytes"},
    {1, "{'descr': '<f4', 'shape': (2,), }", 8, UPERNET_ERR_FORMAT, "malformed"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", 8,
     UPERNET_ERR_FORMAT, "'extra'"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,-1), }", 8, UPERNET_ERR_FORMAT,
     "malformed"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': [2], }", 8, UPERNET_ERR_FORMAT,
     "malformed"},
    {1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } x", 8, UPERNET_ERR_FORMAT,
     "malformed"},
    {4, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8, UPERNET_ERR_UNSUPPORTED,
     "version 4.0"},
};

START_TEST(test_malformed)
{
    const struct bad_file *b = &bad_files[_i];
    unsigned char buf[512];
    size_t n = build(buf, b->major == 4 ? 2 : b->major, b->header, b->data_bytes);
    if (b->major == 4)
        buf[6] = 4;
    upernet_array npy;
    upernet_error err;
    enum upernet_status st = upernet_npy_parse(buf, n, "bad.npy", &npy, &err);
    ck_assert_msg(st == b->status, "%s: status %d (%s)", b->header, st, err.message);
    ck_assert_ptr_nonnull(strstr(err.message, "bad.npy"));
    ck_assert_msg(strstr(err.message, b->message_part) != NULL, "'%s' not in: %s",
                  b->message_part, err.message);
    ck_assert_ptr_null(npy.data);
}
END_TEST

START_TEST(test_bad_magic_and_truncation)
{
    upernet_array npy;
    upernet_error err;
    ck_assert(upernet_npy_parse("PK\x03\x04 not npy", 14, "z.npy", &npy, &err) ==
              UPERNET_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.message, "magic"));
    unsigned char buf[256];
    size_t n = build(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 4);
    ck_assert(upernet_npy_parse(buf, 40, "t.npy", &npy, &err) == UPERNET_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(err.message, "truncated"));
    ck_assert(upernet_npy_parse(buf, n, "t.npy", &npy, &err) == UPERNET_OK);
    upernet_array_free(&npy);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("npy");
    TCase *tc = tcase_create("npy");
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_write_failure_names_file);
    tcase_add_test(tc, test_versions_2_and_3);
    tcase_add_loop_test(tc, test_malformed, 0, sizeof bad_files / sizeof bad_files[0]);
    tcase_add_test(tc, test_bad_magic_and_truncation);
    suite_add_tcase(suite, tc);
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    const int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
