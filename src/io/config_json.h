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

/* The text of a (small) configuration file, NUL-terminated and malloc'ed;
 * NULL with *err set when it cannot be read or is absurdly large. */
char *upernet_config_read_text(const char *path, upernet_error *err);

struct json_t;

/* A JSON document (jansson) parsed from `text`; text that is not JSON fails
 * with UPERNET_ERR_FORMAT naming `origin`, the line and the column. */
enum upernet_status upernet_json_parse(const char *text, const char *origin, struct json_t **out,
                                       upernet_error *err);

/* The same from a small file (upernet_config_read_text); *out is NULL on
 * failure. */
enum upernet_status upernet_json_load_file(const char *path, struct json_t **out,
                                           upernet_error *err);

/* Replaces the names of `labels` (count = the config's num_labels) with the
 * config.json's id2label entries "0".."count-1"; without id2label the names
 * stay. An entry missing or not a string is an error naming it. */
enum upernet_status upernet_config_json_label_names(const char *path, upernet_labels *labels,
                                                    upernet_error *err);

/* A built-in name or, when `spec` ends in ".json" or names an existing file,
 * a config.json path. */
enum upernet_status upernet_config_resolve(const char *spec, struct upernet_config *cfg,
                                           upernet_error *err);

#endif
