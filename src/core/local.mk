# Core: errors and atomic file writes. The allocator (src/core/alloc.c) is
# compiled twice, into the installed and the tests' library (Makefile.am).
libupernet_core_la_SOURCES += \
	src/core/error.c src/core/error.h \
	src/core/atomic_file.c src/core/atomic_file.h
