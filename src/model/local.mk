# The model layer (configs, weight table, loading/packing, arena plan,
# forward schedule), the .npy reader/writer and `upernet forward`.
libupernet_core_la_SOURCES += \
	src/model/model_config.c src/model/model_config.h \
	src/model/weights.c src/model/weights.h \
	src/model/tensors.c \
	src/model/load.c src/model/plan.c src/model/forward.c \
	src/model/model.c src/model/model.h \
	src/io/npy.c src/io/npy.h

upernet_SOURCES += src/cli/cmd_forward.c
