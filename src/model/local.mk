# The model layer: configurations, the weight table, synthetic weights,
# loading and packing, the workspace (arena plan) and the forward schedule.
libupernet_core_la_SOURCES += \
	src/model/model_config.c src/model/model_config.h \
	src/model/weights.c src/model/weights.h \
	src/model/synthetic.c src/model/synthetic.h \
	src/model/tensors.c \
	src/model/load.c src/model/plan.c src/model/forward.c \
	src/model/model.c src/model/model.h
