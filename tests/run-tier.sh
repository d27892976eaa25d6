#!/bin/sh
# Runs every tier-dependent test program with one kernel tier forced.
# Usage (from the automake harness): run-tier.sh .../tier-<name>.test
# The programs ($UPERNET_TIER_TESTS, relative to the build directory) each run
# with UPERNET_ISA=<name>, through $TEST_EMULATOR when cross-built. All of them
# run even after a failure, so the log shows every failing program.
# Exit: the first failing program's status; else 0 if any program ran; else
# 77 (SKIP) when this host or build cannot run the tier.
tier=$(basename "$1" .test)
tier=${tier#tier-}
UPERNET_ISA=$tier
export UPERNET_ISA
status=77
failed=0
for prog in $UPERNET_TIER_TESTS; do
    echo "== $prog with UPERNET_ISA=$tier"
    $TEST_EMULATOR "./$prog"
    rc=$?
    case $rc in
        0) [ "$status" = 77 ] && status=0
           echo "== $prog: PASS" ;;
        77) echo "== $prog: tier $tier cannot run here (SKIP)" ;;
        *) echo "== $prog: FAIL (exit status $rc)"
           [ "$failed" = 0 ] && failed=$rc ;;
    esac
done
[ "$failed" != 0 ] && exit "$failed"
exit $status
