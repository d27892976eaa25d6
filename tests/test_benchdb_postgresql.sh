#!/bin/sh
# The benchmark history on PostgreSQL, against a throwaway server: see
# tests/benchdb-tests.sh (SKIP when libpq or the server binaries are missing).
backend=postgresql
. "$(dirname "$0")/benchdb-tests.sh"
