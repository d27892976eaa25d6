#include "config.h"

#include "io/key_naming.h"

#include <stdio.h>
#include <string.h>

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

enum upernet_key_naming key_naming_of(const char *name)
{
    static const char *const mmseg_parts[] = {"backbone.downsample_layers.", "backbone.stages.", "conv_seg."};
    static const char *const hf_parts[] = {"backbone.embeddings.", "backbone.encoder.", "hidden_states_norms.",
                                           "batch_norm.", "classifier."};
    for (size_t i = 0; i < sizeof mmseg_parts / sizeof *mmseg_parts; i++)
        if (strstr(name, mmseg_parts[i]) != NULL)
            return UPERNET_NAMING_MMSEG;
    if (strstr(name, ".bn.") != NULL)
        return UPERNET_NAMING_MMSEG;
    if (has_prefix(name, "backbone.norm") && name[13] >= '0' && name[13] <= '9')
        return UPERNET_NAMING_MMSEG;
    for (size_t i = 0; i < sizeof hf_parts / sizeof *hf_parts; i++)
        if (strstr(name, hf_parts[i]) != NULL)
            return UPERNET_NAMING_HF;
    return UPERNET_NAMING_UNKNOWN;
}

/* Reads a decimal index at *s followed by '.', advancing past the dot. */
static int take_index(const char **s, unsigned *value)
{
    const char *p = *s;
    unsigned v = 0;
    if (*p < '0' || *p > '9')
        return 0;
    while (*p >= '0' && *p <= '9') {
        if (v > 100000)
            return 0;
        v = v * 10 + (unsigned) (*p++ - '0');
    }
    if (*p != '.')
        return 0;
    *s = p + 1;
    *value = v;
    return 1;
}

static int emit(char *out, size_t cap, const char *fmt_prefix, const char *rest)
{
    const int n = snprintf(out, cap, "%s%s", fmt_prefix, rest);
    return n < 0 || (size_t) n >= cap ? -1 : 0;
}

int key_naming_mmseg_to_hf(const char *mmseg, char *out, size_t cap)
{
    /* rule 1: every "bn" becomes "batch_norm" */
    char key[1024];
    size_t k = 0;
    for (const char *p = mmseg; *p; p++) {
        if (p[0] == 'b' && p[1] == 'n') {
            if (k + 10 >= sizeof key)
                return -1;
            memcpy(key + k, "batch_norm", 10);
            k += 10;
            p++;
        } else {
            if (k + 1 >= sizeof key)
                return -1;
            key[k++] = *p;
        }
    }
    key[k] = '\0';

    /* rule 2: explicit renames */
    char head[128];
    const char *rest = key;
    unsigned i, j, m;
    if (has_prefix(key, "backbone.downsample_layers.")) {
        rest = key + strlen("backbone.downsample_layers.");
        if (take_index(&rest, &i) && take_index(&rest, &m) && m <= 1) {
            if (i == 0)
                return emit(out, cap, m == 0 ? "backbone.embeddings.patch_embeddings." : "backbone.embeddings.layernorm.",
                            rest);
            snprintf(head, sizeof head, "backbone.encoder.stages.%u.downsampling_layer.%u.", i, m);
            return emit(out, cap, head, rest);
        }
    } else if (has_prefix(key, "backbone.stages.")) {
        rest = key + strlen("backbone.stages.");
        if (take_index(&rest, &i) && take_index(&rest, &j)) {
            static const char *const parts[][2] = {
                {"depthwise_conv.", "dwconv."},   {"norm.", "layernorm."},
                {"pointwise_conv1.", "pwconv1."}, {"pointwise_conv2.", "pwconv2."},
            };
            snprintf(head, sizeof head, "backbone.encoder.stages.%u.layers.%u.", i, j);
            if (strcmp(rest, "gamma") == 0)
                return emit(out, cap, head, "layer_scale_parameter");
            for (size_t q = 0; q < sizeof parts / sizeof *parts; q++)
                if (has_prefix(rest, parts[q][0])) {
                    char tail[512];
                    if (emit(tail, sizeof tail, parts[q][1], rest + strlen(parts[q][0])) != 0)
                        return -1;
                    return emit(out, cap, head, tail);
                }
        }
    } else if (has_prefix(key, "backbone.norm")) {
        rest = key + strlen("backbone.norm");
        if (take_index(&rest, &i)) {
            snprintf(head, sizeof head, "backbone.hidden_states_norms.stage%u.", i + 1);
            return emit(out, cap, head, rest);
        }
    } else if (has_prefix(key, "decode_head.conv_seg.")) {
        return emit(out, cap, "decode_head.classifier.", key + strlen("decode_head.conv_seg."));
    } else if (has_prefix(key, "auxiliary_head.conv_seg.")) {
        return emit(out, cap, "auxiliary_head.classifier.", key + strlen("auxiliary_head.conv_seg."));
    }
    /* rule 3: everything else keeps its name */
    return emit(out, cap, "", key);
}

int key_naming_hf_alias(const char *name, char *out, size_t cap)
{
    static const char prefix[] = "backbone.hidden_states_norms.";
    if (!has_prefix(name, prefix))
        return 0;
    const char *rest = name + strlen(prefix);
    unsigned i;
    if (!take_index(&rest, &i) || i > 3)
        return 0;
    char head[64];
    snprintf(head, sizeof head, "%sstage%u.", prefix, i + 1);
    return emit(out, cap, head, rest) == 0 ? 1 : -1;
}
