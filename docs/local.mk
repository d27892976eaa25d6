# The numerical specification and the architecture.
EXTRA_DIST += docs/SPECIFICATION.md docs/ARCHITECTURE.md
