# The public API's model loading (sizes, config.json, checkpoint files, model
# directories), save_pretrained output, tier queries and the version.
libupernet_core_la_SOURCES += \
	src/api/model_open.c src/api/save_pretrained.c src/api/tiers.c
