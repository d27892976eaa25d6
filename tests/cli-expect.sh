# Sourced by the CLI test scripts (after they set $work and failures=0).
# expect STATUS DESCRIPTION COMMAND...: runs COMMAND (stdout and stderr to
# $work/stdout, $work/stderr) and checks its exit status.
# check DESCRIPTION SHELL-CONDITION: evaluates the condition.
expect() {
    want=$1
    what=$2
    shift 2
    "$@" >"$work/stdout" 2>"$work/stderr"
    rc=$?
    if [ "$rc" -eq "$want" ]; then
        echo "ok: $what"
        return 0
    fi
    echo "FAIL: $what: exit $rc, expected $want: $*"
    sed 's/^/  | /' "$work/stderr" "$work/stdout"
    failures=$((failures + 1))
    return 1
}
check() {
    if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1 ($2)"; failures=$((failures + 1)); fi
}
