# The benchmark history's backend tests, sourced by
# tests/test_benchdb_sqlite.sh and tests/test_benchdb_postgresql.sh with
# $backend set. Against one backend (histories "T"; sync partners are SQLite
# files "S"):
#   schema     created on first use (schema_info version 2); a version-1
#              history migrates (runs get UUIDs and machine figures); a newer
#              version is refused
#   verbs      record, runs, compare (a 25% slower benchmark is the one
#              REGRESSION), compare --latest-per-machine (one verdict per
#              machine), report (machine table, cross-machine view), peers
#   sync       S -> T and T -> S copy exactly the missing runs; a second
#              sync copies 0; both sides then hold the same runs
#   writers    4 concurrent writers x 10 runs: exactly 40 runs, 1440 results
#   killed     a writer killed mid-run (UPERNET_BENCHDB_STALL_AFTER) leaves
#              no trace, and the next writer records normally
#   hostile    machine, benchmark and commit names full of quotes and SQL
#              are stored and shown verbatim, and escaped in the report
#   password   (PostgreSQL) a password in the URI appears in no output,
#              message or report
# PostgreSQL: a throwaway server (initdb into a temporary directory, as an
# unprivileged user when run as root, TCP on 127.0.0.1 with password
# authentication), one database per scenario, stopped at the end. Missing
# server binaries or a build without libpq: SKIP naming what is missing,
# or FAIL when UPERNET_TEST_REQUIRE_POSTGRESQL is set (CI).
set -u
here=$(dirname "$0")
. "$here/bench-json.sh"
benchdb="${TEST_EMULATOR:-} ./bench/upernet-benchdb"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/upernet-benchdb-$backend.XXXXXX") || exit 1
pg_stop=:
trap 'eval "$pg_stop"; rm -rf "$tmp"' EXIT
fail() { echo "FAIL ($backend): $*"; exit 1; }
skip() {
    if [ -n "${UPERNET_TEST_REQUIRE_POSTGRESQL:-}" ]; then
        echo "FAIL: UPERNET_TEST_REQUIRE_POSTGRESQL is set but $*"
        exit 1
    fi
    echo "SKIP: $*"
    exit 77
}
step() { echo "== $*"; }

# ------------------------------------------------------------- the backend
if [ "$backend" = postgresql ]; then
    $benchdb --help | grep -q '^backends: sqlite, postgresql$' ||
        skip "upernet-benchdb was built without libpq (configure --without-libpq, or libpq-dev missing)"
    pg_bin=
    for d in $(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/x)") \
             $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
        [ -x "$d/pg_ctl" ] && [ -x "$d/initdb" ] && [ -x "$d/psql" ] && { pg_bin=$d; break; }
    done
    [ -n "$pg_bin" ] || skip "no PostgreSQL server here (initdb, pg_ctl and psql not found in PATH or /usr/lib/postgresql/*/bin: Debian package postgresql)"
    # initdb refuses to run as root: the server runs as an unprivileged user.
    as_server=
    mkdir "$tmp/pg" || fail "mkdir $tmp/pg"
    secret="pw'S3cr3t-$$"
    printf '%s\n' "$secret" > "$tmp/pg/pwfile"
    if [ "$(id -u)" = 0 ]; then
        server_user=
        for u in postgres nobody; do
            id "$u" > /dev/null 2>&1 && { server_user=$u; break; }
        done
        [ -n "$server_user" ] && command -v runuser > /dev/null ||
            skip "running as root without runuser or an unprivileged user (postgres, nobody) for the server"
        as_server="runuser -u $server_user --"
        chmod 755 "$tmp"
        chown -R "$server_user" "$tmp/pg"
    fi
    $as_server "$pg_bin/initdb" -D "$tmp/pg/data" -U benchadmin --pwfile="$tmp/pg/pwfile" \
        --auth=scram-sha-256 -E UTF8 --locale=C -N > "$tmp/initdb.log" 2>&1 ||
        { cat "$tmp/initdb.log"; fail "initdb failed"; }
    rm -f "$tmp/pg/pwfile"
    port=
    for try in 1 2 3 4 5; do
        p=$((20000 + ($$ * 7 + try * 1013) % 30000))
        if $as_server "$pg_bin/pg_ctl" -D "$tmp/pg/data" -l "$tmp/pg/server.log" -w -t 60 \
            -o "-p $p -k $tmp/pg -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40" \
            start > "$tmp/pg_ctl.log" 2>&1; then
            port=$p
            break
        fi
    done
    [ -n "$port" ] || { cat "$tmp/pg_ctl.log" "$tmp/pg/server.log"; fail "the PostgreSQL server did not start"; }
    pg_stop="$as_server '$pg_bin/pg_ctl' -D '$tmp/pg/data' -m immediate stop > /dev/null 2>&1"
    echo "PostgreSQL $("$pg_bin/postgres" --version | sed 's/.* //') on 127.0.0.1:$port"
    # The password reaches libpq through a password file, as README advises.
    printf '127.0.0.1:%s:*:benchadmin:%s\n' "$port" "$(printf '%s' "$secret" | sed 's/[:\\]/\\&/g')" > "$tmp/pgpass"
    chmod 600 "$tmp/pgpass"
    export PGPASSFILE="$tmp/pgpass"
    unset PGPASSWORD PGHOST PGPORT PGUSER PGDATABASE PGSERVICE
    psql() { "$pg_bin/psql" -X -q -t -A -v ON_ERROR_STOP=1 "postgresql://benchadmin@127.0.0.1:$port/$1" -c "$2"; }
    # new_target NAME: an empty history
    new_target() {
        psql postgres "CREATE DATABASE $1" > /dev/null || fail "CREATE DATABASE $1"
        echo "postgresql://benchadmin@127.0.0.1:$port/$1"
    }
else
    new_target() { echo "$tmp/$1.sqlite"; }
fi

ones='1 1 1 1 1 1 1 1 1 1'
bench_json "$tmp/same.json" $ones
bench_json "$tmp/same2.json" 1 1 1 1 1 1 1 1 1 1.01
bench_json "$tmp/slow.json" 1 1 1 1.25 1 1 1 1 1 1
# record DB MACHINE JSON [COMMIT]
record() {
    BENCH_MACHINE=$2 $benchdb record --db "$1" --json "$3" --commit "${4:-c0ffee}" --dirty 0 --quiet
}
# totals DB: the "N runs, M results" line of runs
totals() { $benchdb runs --db "$1" | tail -n 1; }
# uuids DB: the sorted uuid prefixes of runs
uuids() { $benchdb runs --db "$1" | awk 'NR > 1 && $1 ~ /^[0-9]+$/ { print $6 }' | sort; }

# ------------------------------------------------------------------ schema
step schema
T=$(new_target t_schema)
record "$T" alpha "$tmp/same.json" > "$tmp/out" 2>&1 || { cat "$tmp/out"; fail "record into a new history"; }
[ "$(totals "$T")" = "1 run, 36 results" ] || fail "a new history holds $(totals "$T")"
if [ "$backend" = postgresql ]; then
    [ "$(psql t_schema 'SELECT version FROM schema_info')" = 2 ] || fail "schema_info is not version 2"
    [ "$(psql t_schema 'SELECT fma_peak_gflops, bandwidth_gbps FROM runs')" = "61|11" ] ||
        fail "machine figures: $(psql t_schema 'SELECT fma_peak_gflops, bandwidth_gbps FROM runs')"
    # A version-1 history (the unversioned layout) migrates on first use.
    V=$(new_target t_legacy)
    psql t_legacy "CREATE TABLE runs(id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        kind TEXT NOT NULL DEFAULT 'bench', started TEXT, commit_hash TEXT, dirty INTEGER,
        compiler TEXT, cflags TEXT, cpu_model TEXT, cpu_features TEXT, best_tier TEXT,
        threads INTEGER, num_cpus INTEGER, host TEXT, machine TEXT, filter TEXT, context_json TEXT);
      CREATE TABLE results(run_id BIGINT NOT NULL REFERENCES runs(id), name TEXT NOT NULL,
        repetition INTEGER NOT NULL, tier TEXT, threads INTEGER, real_time_ns DOUBLE PRECISION,
        cpu_time_ns DOUBLE PRECISION, iterations BIGINT, error TEXT, counters_json TEXT,
        PRIMARY KEY(run_id, name, repetition));
      CREATE INDEX results_by_name ON results(name);
      INSERT INTO runs(kind, commit_hash, dirty, machine, host) VALUES ('bench', 'old1', 0, 'm', 'm'), ('bench', 'old2', 0, 'm', 'm');
      INSERT INTO results VALUES (1, 'peak/fma/avx2/threads:1', 0, 'avx2', 1, 10, 10, 1, NULL, '{\"GFLOP/s\":42}'),
        (2, 'demo/x', 0, '', 1, 10, 10, 1, NULL, '{}')" || fail "creating a version-1 history"
    $benchdb runs --db "$V" > "$tmp/out" 2>&1 || { cat "$tmp/out"; fail "runs on a version-1 history"; }
    [ "$(psql t_legacy 'SELECT version FROM schema_info')" = 2 ] || fail "the version-1 history was not migrated"
    [ "$(psql t_legacy 'SELECT count(DISTINCT uuid) FROM runs WHERE uuid IS NOT NULL')" = 2 ] ||
        fail "migrated runs lack UUIDs"
    [ "$(psql t_legacy 'SELECT fma_peak_gflops FROM runs WHERE id = 1')" = 42 ] || fail "migrated run lacks its FMA peak"
    record "$V" m "$tmp/same.json" > /dev/null || fail "record into a migrated history"
    [ "$(totals "$V")" = "3 runs, 38 results" ] || fail "migrated history then holds $(totals "$V")"
    psql t_legacy 'UPDATE schema_info SET version = 3'
    $benchdb runs --db "$V" > "$tmp/out" 2>&1 && fail "a version-3 history was accepted"
    grep -q 'schema version 3 is newer' "$tmp/out" || { cat "$tmp/out"; fail "no clear message for a newer schema"; }
else
    # The version-1 fixture was written by upernet-benchdb before the schema
    # had versions (two runs of 36 results).
    V=$tmp/legacy.sqlite
    cp "$here/data/benchdb-v1.sqlite" "$V" && chmod u+w "$V"
    [ "$(uuids "$V" | grep -c .)" = 2 ] || fail "the version-1 fixture's runs got no UUIDs"
    [ "$(uuids "$V" | sort -u | grep -c .)" = 2 ] || fail "migrated runs share a UUID"
    record "$V" m "$tmp/same.json" > /dev/null || fail "record into a migrated history"
    [ "$(totals "$V")" = "3 runs, 108 results" ] || fail "migrated history then holds $(totals "$V")"
    $benchdb report --db "$V" --out "$tmp/legacy.html" > /dev/null || fail "report on a migrated history"
    grep -q '61.0 GFLOP/s' "$tmp/legacy.html" || fail "migrated runs lack their FMA peak in the report"
    if ! $benchdb --help | grep -q '^backends: sqlite, postgresql$'; then
        $benchdb runs --db 'postgresql://u:hunter2@127.0.0.1:1/db' > "$tmp/out" 2>&1 &&
            fail "a postgresql:// URI was accepted without libpq"
        grep -q 'no PostgreSQL support' "$tmp/out" && ! grep -q hunter2 "$tmp/out" ||
            { cat "$tmp/out"; fail "no clear, masked message for a URI without libpq"; }
    fi
fi

# ------------------------------------------------------------------- verbs
step verbs
T=$(new_target t_verbs)
record "$T" alpha "$tmp/same.json" aaaa > /dev/null || fail "record 1"
record "$T" beta "$tmp/same.json" aaaa > /dev/null || fail "record beta 1"
record "$T" alpha "$tmp/slow.json" bbbb > "$tmp/out" 2>&1 || fail "record 2"
grep -q 'recorded run 3 (bbbb, 36 results, machine alpha | test cpu | 2 cpus)' "$tmp/out" ||
    { cat "$tmp/out"; fail "record does not name the run and machine"; }
record "$T" beta "$tmp/same2.json" bbbb > /dev/null || fail "record beta 2"
$benchdb record --db "$T" --json "$tmp/same.json" --kind peers --quiet > /dev/null || fail "record peers"
[ "$(totals "$T")" = "5 runs, 180 results" ] || fail "verbs: $(totals "$T")"
$benchdb runs --db "$T" | grep -q 'peers .* testhost | test cpu | 2 cpus' || fail "runs lists no peers run"
$benchdb compare --db "$T" --current run:3 > "$tmp/compare.out" 2>&1
rc=$?
[ $rc = 1 ] && [ "$(grep -c REGRESSION "$tmp/compare.out")" = 1 ] && grep -q 'demo/avx2/case3 .*REGRESSION' "$tmp/compare.out" ||
    { cat "$tmp/compare.out"; fail "compare (exit $rc) does not flag exactly the 25% slower benchmark"; }
grep -q 'baseline: run 1 ' "$tmp/compare.out" || fail "compare took a baseline from another machine"
$benchdb compare --db "$T" --latest-per-machine > "$tmp/latest.out" 2>&1
rc=$?
[ $rc = 1 ] && grep -q '^  alpha | test cpu | 2 cpus .* run 3 .* REGRESSION (1 benchmark)' "$tmp/latest.out" &&
    grep -q '^  beta | test cpu | 2 cpus .* run 4 .* ok' "$tmp/latest.out" ||
    { cat "$tmp/latest.out"; fail "compare --latest-per-machine (exit $rc)"; }
$benchdb report --db "$T" --out "$tmp/report.html" > "$tmp/out" 2>&1 || { cat "$tmp/out"; fail "report"; }
grep -q 'on 3 machines' "$tmp/out" || { cat "$tmp/out"; fail "report does not count 3 machines"; }
for m in alpha beta testhost; do
    grep -q "<td>$m</td><td>test cpu</td><td class=\"n\">2</td><td class=\"feat\">fma avx2</td><td class=\"n\">61.0 GFLOP/s</td><td class=\"n\">11.0 GB/s</td>" "$tmp/report.html" ||
        fail "the machine table lacks $m"
done
grep -q "own peak" "$tmp/report.html" && grep -q '<td class="n">53.0%</td>' "$tmp/report.html" ||
    fail "the report has no cross-machine %peak view"

# -------------------------------------------------------------------- sync
step sync
T=$(new_target t_sync)
S=$tmp/laptop.sqlite
for c in 1 2 3; do record "$S" offline "$tmp/same.json" "c$c" > /dev/null || fail "record offline $c"; done
for c in 1 2; do record "$T" fleet "$tmp/same.json" "f$c" > /dev/null || fail "record fleet $c"; done
$benchdb sync --from "$S" --to "$T" > "$tmp/out" 2>&1 || { cat "$tmp/out"; fail "sync S -> T"; }
grep -q '^sync: copied 3 runs (108 results) from .* 0 already there$' "$tmp/out" || { cat "$tmp/out"; fail "sync S -> T count"; }
$benchdb sync --from "$S" --to "$T" > "$tmp/out" 2>&1 || fail "second sync S -> T"
grep -q '^sync: copied 0 runs (0 results) from .* 3 already there$' "$tmp/out" || { cat "$tmp/out"; fail "second sync S -> T copied something"; }
$benchdb sync --from "$T" --to "$S" > "$tmp/out" 2>&1 || fail "sync T -> S"
grep -q '^sync: copied 2 runs (72 results) from .* 3 already there$' "$tmp/out" || { cat "$tmp/out"; fail "sync T -> S count"; }
$benchdb sync --from "$T" --to "$S" > "$tmp/out" 2>&1 || fail "second sync T -> S"
grep -q '^sync: copied 0 runs' "$tmp/out" || { cat "$tmp/out"; fail "second sync T -> S copied something"; }
[ "$(totals "$S")" = "5 runs, 180 results" ] && [ "$(totals "$T")" = "5 runs, 180 results" ] ||
    fail "after sync: S $(totals "$S"), T $(totals "$T")"
[ "$(uuids "$S")" = "$(uuids "$T")" ] || fail "after sync the two histories hold different runs"
$benchdb compare --db "$T" > "$tmp/out" 2>&1 || { cat "$tmp/out"; fail "compare after sync"; }
grep -q 'machine:  offline' "$tmp/out" || { cat "$tmp/out"; fail "compare after sync: latest run is not the last copied"; }
$benchdb sync --from "$tmp/none.sqlite" --to "$T" > "$tmp/out" 2>&1 && fail "sync from a missing file"
grep -q 'none.sqlite: no such file' "$tmp/out" || { cat "$tmp/out"; fail "sync from a missing file: no clear message"; }

# ----------------------------------------------------------------- writers
step "4 concurrent writers x 10 runs"
T=$(new_target t_writers)
pids=
for w in 1 2 3 4; do
    (
        for i in 1 2 3 4 5 6 7 8 9 10; do
            record "$T" "writer$w" "$tmp/same.json" "w$w-$i" > "$tmp/writer$w.$i.out" 2>&1 ||
                { echo "writer $w run $i failed"; cat "$tmp/writer$w.$i.out"; exit 1; }
        done
    ) > "$tmp/writer$w.log" 2>&1 &
    pids="$pids $!"
done
failed=0
for p in $pids; do wait "$p" || failed=1; done
[ $failed = 0 ] || { cat "$tmp"/writer?.log; fail "a concurrent writer failed"; }
[ "$(totals "$T")" = "40 runs, 1440 results" ] || fail "4 writers x 10 runs left $(totals "$T")"
for w in 1 2 3 4; do
    [ "$($benchdb runs --db "$T" | grep -c " 12 [0-9a-f]\{8\}  writer$w | ")" = 10 ] ||
        fail "writer $w: not 10 complete runs"
done
[ "$(uuids "$T" | sort -u | grep -c .)" = 40 ] || fail "concurrent runs share UUIDs"

# ------------------------------------------------------------------ killed
step "a writer killed mid-run"
T=$(new_target t_killed)
record "$T" k "$tmp/same.json" > /dev/null || fail "record before the kill"
UPERNET_BENCHDB_STALL_AFTER=20 BENCH_MACHINE=k $benchdb record --db "$T" --json "$tmp/slow.json" \
    --commit doomed --quiet > "$tmp/stalled.out" 2>&1 &
victim=$!
i=0
until grep -q 'stalled after 20 results' "$tmp/stalled.out"; do
    i=$((i + 1))
    [ $i -le 300 ] || { kill -9 $victim; cat "$tmp/stalled.out"; fail "the writer never reached its 20th result"; }
    sleep 0.1
done
kill -9 $victim
wait $victim 2> /dev/null
[ "$(totals "$T")" = "1 run, 36 results" ] || fail "a writer killed mid-run left $(totals "$T")"
record "$T" k "$tmp/same.json" > /dev/null || fail "record after the kill"
[ "$(totals "$T")" = "2 runs, 72 results" ] || fail "after the kill, a new run left $(totals "$T")"
$benchdb runs --db "$T" | grep -q doomed && fail "the killed run is listed"

# ----------------------------------------------------------------- hostile
step "hostile names"
T=$(new_target t_hostile)
evil_machine="o'brien\"); DROP TABLE runs; --"
evil_commit="x'; DELETE FROM results; --"
BENCH_JSON_PREFIX="demo/avx2/x'); DROP TABLE results; --<b>" bench_json "$tmp/evil.json" $ones
record "$T" "$evil_machine" "$tmp/evil.json" "$evil_commit" > /dev/null || fail "record hostile names"
record "$T" "$evil_machine" "$tmp/evil.json" "$evil_commit" > /dev/null || fail "record hostile names twice"
[ "$(totals "$T")" = "2 runs, 72 results" ] || fail "hostile names: $(totals "$T")"
$benchdb runs --db "$T" | grep -qF "$evil_machine | test cpu | 2 cpus" || fail "the hostile machine name is not shown verbatim"
$benchdb compare --db "$T" --all > "$tmp/out" 2>&1 || { cat "$tmp/out"; fail "compare with hostile names"; }
grep -qF "demo/avx2/x'); DROP TABLE results; --<b>3 " "$tmp/out" || { cat "$tmp/out"; fail "hostile benchmark names not verbatim"; }
$benchdb report --db "$T" --out "$tmp/evil.html" > /dev/null || fail "report with hostile names"
grep -qF -- "--&lt;b&gt;3" "$tmp/evil.html" && ! grep -qF -- "--<b>" "$tmp/evil.html" ||
    fail "the report does not escape hostile names"
$benchdb sync --from "$T" --to "$tmp/evil-copy.sqlite" > /dev/null || fail "sync hostile names"
[ "$(totals "$tmp/evil-copy.sqlite")" = "2 runs, 72 results" ] || fail "hostile names after sync"

# ---------------------------------------------------------------- password
if [ "$backend" = postgresql ]; then
    step "password masking"
    T=$(new_target t_secret)
    enc=$(printf '%s' "$secret" | sed "s/'/%27/g")
    U="postgresql://benchadmin:$enc@127.0.0.1:$port/t_secret"
    mv "$tmp/pgpass" "$tmp/pgpass.off" # only the URI carries the password now
    {
        record "$U" alpha "$tmp/same.json"
        record "$U" alpha "$tmp/slow.json"
        $benchdb runs --db "$U"
        $benchdb compare --db "$U"
        $benchdb compare --db "$U" --latest-per-machine
        $benchdb report --db "$U" --out "$tmp/secret.html"
        $benchdb sync --from "$U" --to "$tmp/secret.sqlite"
        $benchdb sync --from "$tmp/secret.sqlite" --to "$U"
        $benchdb runs --db "postgresql://benchadmin:$enc@127.0.0.1:$port/nosuchdb"
        $benchdb runs --db "postgresql://benchadmin:wrong$enc@127.0.0.1:$port/t_secret"
        $benchdb runs --db "postgresql://benchadmin@127.0.0.1:$port/t_secret?password=$enc"
        $benchdb runs --db "postgresql://benchadmin@127.0.0.1:$port/nosuchdb2?password=$enc"
    } > "$tmp/secret.out" 2>&1
    mv "$tmp/pgpass.off" "$tmp/pgpass"
    [ "$(totals "$T")" = "2 runs, 72 results" ] || { cat "$tmp/secret.out"; fail "the URI with a password did not work"; }
    for s in "$secret" "$enc" "S3cr3t"; do
        if grep -qF -- "$s" "$tmp/secret.out" "$tmp/secret.html"; then
            grep -F -- "$s" "$tmp/secret.out" "$tmp/secret.html" | head -5
            fail "the password appears in the output"
        fi
    done
    grep -q 'benchadmin:\*\*\*@127.0.0.1' "$tmp/secret.out" && grep -q 'nosuchdb.*does not exist' "$tmp/secret.out" &&
        grep -q 'password=\*\*\*' "$tmp/secret.out" || { cat "$tmp/secret.out"; fail "the masked URI is not shown"; }
fi
echo "benchmark history on $backend: schema, verbs, sync, writers, killed writer, hostile names${port:+, password masking}: as expected"
