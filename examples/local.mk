# A program using the installed library (built by tests/test_install.sh and
# the CI library step against the installed copy, through pkg-config).
EXTRA_DIST += examples/segment.c
