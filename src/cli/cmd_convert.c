/* upernet convert IN OUT_DIR [--model SIZE|config.json]: turns any weights
 * file upernet reads (mmseg .pth, pytorch_model.bin, safetensors) into what
 * transformers' save_pretrained writes: OUT_DIR/model.safetensors (HF names),
 * config.json and preprocessor_config.json, so that
 * UperNetForSemanticSegmentation.from_pretrained(OUT_DIR) loads it. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli_weights.h"
#include "cli/commands.h"
#include "core/atomic_file.h"
#include "model/model_config.h"
#include "upernet.h"

static void convert_usage(FILE *out)
{
    fprintf(out,
            "usage: upernet convert IN OUT_DIR [--model SIZE|CONFIG.json]\n"
            "Reads IN (an mmsegmentation .pth, a transformers pytorch_model.bin or a\n"
            "model.safetensors; recognised by content, never executed), checks it against\n"
            "the configuration and writes OUT_DIR/model.safetensors, config.json and\n"
            "preprocessor_config.json as transformers' save_pretrained does.\n"
            "  --model M   tiny, small, base, large, xlarge, or an HF config.json\n"
            "              (default: the built-in size whose shapes IN matches)\n");
}

/* Through the atomic-file helper: never a partial file. */
static int write_json(json_t *json, const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    char *text = json_dumps(json, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(16));
    if (text == NULL) {
        fprintf(stderr, "upernet convert: %s: out of memory\n", path);
        return 1;
    }
    upernet_error err;
    const enum upernet_status st = upernet_write_file_atomic(path, text, strlen(text), &err);
    free(text);
    if (st != UPERNET_OK) {
        fprintf(stderr, "upernet convert: %s\n", err.message);
        return 1;
    }
    return 0;
}

static json_t *int_array(const int *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; a != NULL && i < n; i++)
        json_array_append_new(a, json_integer(v[i]));
    return a;
}

/* config.json of UperNetForSemanticSegmentation for a built-in size. */
static json_t *builtin_config_json(const struct upernet_config *cfg)
{
    json_t *stages = json_array();
    for (int i = 1; i <= UPERNET_STAGES; i++) {
        char s[16];
        snprintf(s, sizeof s, "stage%d", i);
        json_array_append_new(stages, json_string(s));
    }
    json_t *backbone = json_pack("{s:s, s:o, s:o, s:i, s:i, s:o, s:o}", "model_type", "convnext", "depths",
                                 int_array(cfg->depths, UPERNET_STAGES), "hidden_sizes",
                                 int_array(cfg->hidden_sizes, UPERNET_STAGES), "num_channels", cfg->num_channels,
                                 "patch_size", cfg->patch_size, "out_features", stages, "stage_names",
                                 json_pack("[s,s,s,s,s]", "stem", "stage1", "stage2", "stage3", "stage4"));
    json_t *id2label = json_object(), *label2id = json_object();
    upernet_labels labels;
    upernet_error err;
    const int have_names = cfg->num_labels == 150 && upernet_labels_ade20k(&labels, &err) == UPERNET_OK;
    for (int i = 0; i < cfg->num_labels; i++) {
        char key[16], name[64];
        snprintf(key, sizeof key, "%d", i);
        snprintf(name, sizeof name, "%s", have_names ? labels.names[i] : "");
        if (!have_names)
            snprintf(name, sizeof name, "LABEL_%d", i);
        json_object_set_new(id2label, key, json_string(name));
        json_object_set_new(label2id, name, json_integer(i));
    }
    if (have_names)
        upernet_labels_free(&labels);
    return json_pack("{s:[s], s:s, s:o, s:i, s:o, s:b, s:i, s:i, s:i, s:b, s:o, s:o, s:i, s:f, s:s}",
                     "architectures", "UperNetForSemanticSegmentation", "model_type", "upernet", "backbone_config",
                     backbone, "hidden_size", cfg->hidden_size, "pool_scales",
                     int_array(cfg->pool_scales, cfg->num_pool_scales), "use_auxiliary_head", cfg->use_auxiliary_head,
                     "auxiliary_in_channels", cfg->auxiliary_in_channels, "auxiliary_channels",
                     cfg->auxiliary_channels, "auxiliary_num_convs", cfg->auxiliary_num_convs,
                     "auxiliary_concat_input", cfg->auxiliary_concat_input, "id2label", id2label, "label2id",
                     label2id, "loss_ignore_index", 255, "initializer_range", 0.02, "torch_dtype", "float32");
}

/* preprocessor_config.json of SegformerImageProcessor() (what the conversion script saves). */
static json_t *preprocessor_json(void)
{
    return json_pack("{s:b, s:b, s:b, s:b, s:[f,f,f], s:s, s:[f,f,f], s:i, s:f, s:{s:i, s:i}}", "do_normalize", 1,
                     "do_reduce_labels", 0, "do_rescale", 1, "do_resize", 1, "image_mean", 0.485, 0.456, 0.406,
                     "image_processor_type", "SegformerImageProcessor", "image_std", 0.229, 0.224, 0.225,
                     "resample", 2, "rescale_factor", 1.0 / 255.0, "size", "height", 512, "width", 512);
}

int cmd_convert(int argc, char **argv)
{
    static const struct option options[] = {
        {"model", required_argument, NULL, 'm'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *model_spec = NULL;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (opt) {
        case 'm': model_spec = optarg; break;
        case 'h': convert_usage(stdout); return 0;
        default: convert_usage(stderr); return EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        convert_usage(stderr);
        return EXIT_USAGE;
    }
    const char *in = argv[optind], *out_dir = argv[optind + 1];
    upernet_error err;
    char file[4096];
    upernet_weights *w = NULL;
    if (cli_weights_resolve(in, file, sizeof file, &err) != UPERNET_OK ||
        upernet_weights_open(file, &w, &err) != UPERNET_OK) {
        fprintf(stderr, "upernet convert: %s\n", err.message);
        return 1;
    }
    int status = 1;
    json_t *config = NULL, *pre = NULL;
    struct upernet_config cfg;
    const char *detected = cli_weights_detect_size(w);
    if (model_spec == NULL && detected == NULL) {
        fprintf(stderr, "upernet convert: %s: its shapes match none of the built-in sizes; pass --model CONFIG.json\n",
                file);
        goto done;
    }
    if (upernet_config_resolve(model_spec != NULL ? model_spec : detected, &cfg, &err) != UPERNET_OK) {
        fprintf(stderr, "upernet convert: %s\n", err.message);
        goto done;
    }
    if (cli_weights_validate(w, &cfg, &err) != UPERNET_OK) {
        if (detected != NULL && model_spec != NULL && strcmp(detected, cfg.name) != 0)
            fprintf(stderr, "upernet convert: %s: a checkpoint of size '%s', not '%s'\n", file, detected, model_spec);
        else
            fprintf(stderr, "upernet convert: %s\n", err.message);
        goto done;
    }
    if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "upernet convert: %s: cannot create: %s\n", out_dir, strerror(errno));
        goto done;
    }
    /* config.json: the given one, re-serialised (keeps id2label etc.), or the built-in size's */
    json_error_t jerr;
    struct upernet_config builtin;
    upernet_error not_builtin;
    const int is_json = model_spec != NULL && upernet_config_builtin(model_spec, &builtin, &not_builtin) != UPERNET_OK;
    if (is_json && (config = json_load_file(model_spec, 0, &jerr)) == NULL) {
        fprintf(stderr, "upernet convert: %s: %s\n", model_spec, jerr.text);
        goto done;
    }
    if (config == NULL)
        config = builtin_config_json(&cfg);
    pre = preprocessor_json();
    if (config == NULL || pre == NULL) {
        fprintf(stderr, "upernet convert: out of memory\n");
        goto done;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/model.safetensors", out_dir);
    if (upernet_weights_save_safetensors(w, path, &err) != UPERNET_OK) {
        fprintf(stderr, "upernet convert: %s\n", err.message);
        goto done;
    }
    if (write_json(config, out_dir, "config.json") != 0 || write_json(pre, out_dir, "preprocessor_config.json") != 0)
        goto done;
    printf("%s (%s, %s names) -> %s/{model.safetensors,config.json,preprocessor_config.json}: %zu tensors\n", file,
           upernet_weights_format_name(upernet_weights_format(w)), upernet_key_naming_name(upernet_weights_naming(w)),
           out_dir, upernet_weights_count(w));
    status = 0;
done:
    json_decref(config);
    json_decref(pre);
    upernet_weights_free(w);
    return status;
}
