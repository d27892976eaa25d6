#!/bin/sh
# TEST_EMULATOR of the valgrind CI leg (.ci/run step "valgrind"): runs one
# test program under memcheck. Any memory error or definitely lost block
# fails it (exit 1); "possibly lost" is not counted, since libgomp's thread
# stacks and TLS show up as that. valgrind hides AVX-512 from cpuid (and
# cannot run it), so the avx512 tier reports SKIP and AVX2 is the top tier
# checked. Heavy test cases are left to the other legs, to keep this one to
# a few minutes: test_checkpoints runs only its "fixtures" case (the
# truncation and bit-flip sweeps are covered by ASan and the fuzzers),
# test_images only its "hostile" case (the decoders on damaged files).
prog=$1
shift
case $prog in
*test_checkpoints) CK_RUN_CASE=fixtures; export CK_RUN_CASE ;;
*test_images) CK_RUN_CASE=hostile; export CK_RUN_CASE ;;
esac
# passive: no spinning OpenMP threads (valgrind runs one thread at a time)
OMP_WAIT_POLICY=passive
export OMP_WAIT_POLICY
exec valgrind -q --error-exitcode=1 --errors-for-leak-kinds=definite --leak-check=full \
    --show-leak-kinds=definite "$prog" "$@"
