/* Configurations from config.json files and from their spelling (a
 * built-in size or a config.json path); see config_json.c. */
#ifndef UPERNET_IO_CONFIG_JSON_H
#define UPERNET_IO_CONFIG_JSON_H

#include "model/model_config.h"
#include "upernet.h"

/* Parses an HF config.json of UperNetForSemanticSegmentation with a ConvNeXt
 * backbone. Missing keys take the transformers defaults; wrong types, values
 * out of range or unsupported settings fail with a message naming the file
 * and the key. */
enum upernet_status upernet_config_parse_json(const char *path, struct upernet_config *cfg,
                                              upernet_error *err);

/* Same, from a JSON text in memory (`origin` names it in messages). */
enum upernet_status upernet_config_parse_json_text(const char *text, const char *origin,
                                                   struct upernet_config *cfg, upernet_error *err);

/* A built-in name or, when `spec` ends in ".json" or names an existing file,
 * a config.json path. */
enum upernet_status upernet_config_resolve(const char *spec, struct upernet_config *cfg,
                                           upernet_error *err);

#endif
