/* Synthetic weights (scheme and rationale: tools/SYNTHETIC.md; Python twin:
 * tools/synthetic.py). Bit-identical across platforms and to Python because
 * every value is an integer hash turned into an exact float32 multiple of
 * 2^-23, scaled by a float32 half-width (rounded once from a correctly
 * rounded double) and offset in double, where the product is exact, so FMA
 * contraction cannot change the result. */
#include "config.h"

#include "model/synthetic.h"

#include <math.h>
#include <string.h>

#define FNV_OFFSET UINT64_C(0xCBF29CE484222325)
#define FNV_PRIME UINT64_C(0x100000001B3)
#define GOLDEN UINT64_C(0x9E3779B97F4A7C15)
#define MIX1 UINT64_C(0xBF58476D1CE4E5B9)
#define MIX2 UINT64_C(0x94D049BB133111EB)

/* Conv / linear weights: half-width = gain * sqrt(3 / fan_in); the first
 * substring found in the key picks the gain (same table as synthetic.py). */
static const struct {
    const char *substring;
    double gain;
} weight_gains[] = {
    {".conv.weight", 1.4}, /* ConvModule conv, followed by BatchNorm and ReLU */
    {"classifier.weight", 1.0},
};
#define DEFAULT_GAIN 1.0

/* value = center + half_width * u, u uniform in [-1, 1). */
struct kind {
    double center;
    float half_width;
};

uint64_t upernet_synthetic_key_hash(const char *hf_key)
{
    uint64_t h = FNV_OFFSET;
    for (const unsigned char *p = (const unsigned char *) hf_key; *p != '\0'; p++) {
        h ^= *p;
        h *= FNV_PRIME;
    }
    return h;
}

float upernet_synthetic_uniform(uint64_t key_hash, uint64_t index)
{
    uint64_t z = key_hash + (index + 1) * GOLDEN;
    z = (z ^ (z >> 30)) * MIX1;
    z = (z ^ (z >> 27)) * MIX2;
    z ^= z >> 31;
    const int32_t top24 = (int32_t) (z >> 40) - (INT32_C(1) << 23);
    return (float) top24 * (1.0f / 8388608.0f); /* exact: |top24| <= 2^23 */
}

static int ends_with(const char *s, const char *suffix)
{
    const size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* Returns 0 for the all-zero kind (num_batches_tracked). Half-widths are
 * written (float) <double literal>, which is what np.float32(0.45) computes. */
static int classify(const char *key, const size_t *shape, size_t ndim, struct kind *k)
{
    if (ends_with(key, "num_batches_tracked"))
        return 0;
    if (ends_with(key, ".running_mean")) {
        *k = (struct kind){0.0, (float) 0.2};
    } else if (ends_with(key, ".running_var")) {
        *k = (struct kind){1.0, (float) 0.5};
    } else if (ends_with(key, "layer_scale_parameter")) {
        *k = (struct kind){0.55, (float) 0.45};
    } else if (ends_with(key, ".bias")) {
        *k = (struct kind){0.0, (float) 0.1};
    } else if (ends_with(key, ".weight") && ndim >= 2) {
        size_t fan_in = 1;
        for (size_t d = 1; d < ndim; d++)
            fan_in *= shape[d];
        double gain = DEFAULT_GAIN;
        for (size_t i = 0; i < sizeof weight_gains / sizeof weight_gains[0]; i++) {
            if (strstr(key, weight_gains[i].substring) != NULL) {
                gain = weight_gains[i].gain;
                break;
            }
        }
        /* sqrt and / are correctly rounded in IEEE double, as in Python. */
        *k = (struct kind){0.0, (float) (gain * sqrt(3.0 / (double) fan_in))};
    } else {
        /* 1-D weights: LayerNorm and BatchNorm scales, 1 +- 0.2. */
        *k = (struct kind){1.0, (float) 0.2};
    }
    return 1;
}

/* Recipe TRAINED (same constants as synthetic.py's TRAINED_*): layer scales
 * in [0.5, 3), BatchNorm weights in [1.2, 1.8), and in each pwconv2 bias
 * two channels in [20, 80), the "massive activations" of trained ConvNeXts
 * that make the residual stream's sums cancel. */
static const struct kind trained_layer_scale = {1.75, (float) 1.25};
static const struct kind trained_bn_weight = {1.5, (float) 0.3};
static const struct kind trained_massive_bias = {50.0, (float) 30.0};

static void fill_kind(struct kind k, uint64_t h, size_t begin, size_t end, float *dst)
{
    const double half_width = (double) k.half_width;
    for (size_t i = begin; i < end; i++) {
        const double u = (double) upernet_synthetic_uniform(h, (uint64_t) i);
        dst[i] = (float) (k.center + half_width * u);
    }
}

void upernet_synthetic_fill_recipe(enum upernet_synthetic_recipe recipe, const char *hf_key,
                                   const size_t *shape, size_t ndim, float *dst)
{
    size_t numel = 1;
    for (size_t d = 0; d < ndim; d++)
        numel *= shape[d];
    struct kind k;
    if (!classify(hf_key, shape, ndim, &k)) {
        memset(dst, 0, numel * sizeof *dst);
        return;
    }
    const uint64_t h = upernet_synthetic_key_hash(hf_key);
    if (recipe == UPERNET_SYNTHETIC_TRAINED) {
        if (ends_with(hf_key, "layer_scale_parameter"))
            k = trained_layer_scale;
        else if (ends_with(hf_key, ".batch_norm.weight"))
            k = trained_bn_weight;
    }
    fill_kind(k, h, 0, numel, dst);
    if (recipe == UPERNET_SYNTHETIC_TRAINED && ends_with(hf_key, ".pwconv2.bias") && numel >= 2) {
        /* Two distinct channels picked by the key's hash. */
        const size_t first = (size_t) (h % numel);
        const size_t second = (first + 1 + (size_t) ((h >> 32) % (numel - 1))) % numel;
        fill_kind(trained_massive_bias, h, first, first + 1, dst);
        fill_kind(trained_massive_bias, h, second, second + 1, dst);
    }
}

void upernet_synthetic_fill(const char *hf_key, const size_t *shape, size_t ndim, float *dst)
{
    upernet_synthetic_fill_recipe(UPERNET_SYNTHETIC_DEFAULT, hf_key, shape, ndim, dst);
}
