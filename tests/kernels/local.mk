# Every kernel variant of a tier against the scalar reference (run once per
# tier by tests/run-tier.sh; listed in UPERNET_TIER_TESTS by tests/local.mk).
tests_test_kernels_SOURCES = tests/test_kernels.c tests/testutil.c tests/testutil.h \
	tests/kernels/kernel_tests.h \
	tests/kernels/test_layernorm.c \
	tests/kernels/test_igemm.c \
	tests/kernels/test_dwconv7x7.c \
	tests/kernels/test_gelu.c \
	tests/kernels/test_dwconv7x7_wide.c \
	tests/kernels/test_winograd23.c \
	tests/kernels/test_bilinear.c \
	tests/kernels/test_bilinear_argmax.c
tests_test_kernels_CFLAGS = $(UPERNET_TEST_CFLAGS)
tests_test_kernels_LDADD = $(UPERNET_TEST_LIBS)
