# The operator layer (src/ops): whole-tensor ops over the dispatch table's
# micro-kernels, threaded with OpenMP.
libupernet_core_la_SOURCES += \
	src/ops/ops.h src/ops/threads.h src/ops/bilinear.h src/ops/tiles.h src/ops/winograd.h \
	src/ops/conv.c \
	src/ops/conv_sources.c \
	src/ops/winograd.c \
	src/ops/dwconv7x7.c \
	src/ops/layernorm.c \
	src/ops/resize.c \
	src/ops/pool.c \
	src/ops/copy.c \
	src/ops/scratch.c src/ops/scratch.h
