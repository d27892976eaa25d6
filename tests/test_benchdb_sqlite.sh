#!/bin/sh
# The benchmark history on SQLite: see tests/benchdb-tests.sh.
backend=sqlite
. "$(dirname "$0")/benchdb-tests.sh"
