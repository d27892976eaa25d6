#!/bin/sh
# Runs every tier-dependent test program with one kernel tier forced.
# Usage (from the automake harness): run-tier.sh .../tier-<name>.test
# Exit 77 (SKIP) when this host or build cannot run the tier; otherwise the
# first failing program's status, or 0.
tier=$(basename "$1" .test)
tier=${tier#tier-}
UPERNET_ISA=$tier
export UPERNET_ISA
status=77
for prog in $UPERNET_TIER_TESTS; do
    echo "== $prog with UPERNET_ISA=$tier"
    $TEST_EMULATOR "./$prog"
    rc=$?
    case $rc in
        0) status=0 ;;
        77) echo "== $prog: tier $tier cannot run here (SKIP)" ;;
        *) exit $rc ;;
    esac
done
exit $status
