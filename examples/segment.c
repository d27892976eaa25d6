/* A minimal program using the installed library: loads a checkpoint, segments
 * one image and writes its class map as a palette PNG.
 *
 *   cc segment.c $(pkg-config --cflags --libs upernet) -o segment
 *   ./segment WEIGHTS IMAGE OUT.png [CONFIG.json]
 *
 * WEIGHTS is a checkpoint file (model.safetensors, pytorch_model.bin, an
 * mmsegmentation .pth) or a model directory; CONFIG.json its configuration
 * when it is not one of the five built-in sizes (and not in the directory).
 * The image is preprocessed at 512x512, as `upernet segment` does by default,
 * and the class map is written at that size (`upernet segment --at-model-size`
 * writes the same file). Prints the three most frequent classes. */
#include <stdio.h>
#include <stdlib.h>

#include <upernet.h>

enum { HEIGHT = 512, WIDTH = 512 };

static int fail(const char *what, const upernet_error *err)
{
    fprintf(stderr, "segment: %s: %s\n", what, err->message);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: segment WEIGHTS IMAGE OUT.png [CONFIG.json]\n");
        return 2;
    }
    printf("upernet %s (header %s)\n", upernet_version(), UPERNET_VERSION_STRING);

    upernet_error err;
    upernet_model_options options;
    upernet_model_options_init(&options);
    options.config = argc == 5 ? argv[4] : NULL;
    upernet_model *model = NULL;
    if (upernet_model_open(argv[1], &options, &model, &err) != UPERNET_OK)
        return fail(argv[1], &err);

    upernet_workspace *ws = NULL;
    upernet_image image = {0, 0, NULL};
    upernet_labels labels = {0, NULL, NULL};
    const int classes = upernet_model_num_labels(model);
    float *pixels = malloc(3 * (size_t) HEIGHT * WIDTH * sizeof *pixels);
    float *logits = malloc((size_t) classes * HEIGHT * WIDTH * sizeof *logits);
    uint16_t *class_map = malloc((size_t) HEIGHT * WIDTH * sizeof *class_map);
    int status = 1;
    if (pixels == NULL || logits == NULL || class_map == NULL) {
        fprintf(stderr, "segment: out of memory\n");
        goto done;
    }
    if (upernet_image_load(argv[2], &image, &err) != UPERNET_OK ||
        upernet_preprocess(&image, HEIGHT, WIDTH, pixels, &err) != UPERNET_OK) {
        status = fail(argv[2], &err);
        goto done;
    }
    if (upernet_workspace_create(model, &ws, &err) != UPERNET_OK ||
        upernet_model_forward(model, ws, pixels, 1, HEIGHT, WIDTH, logits, &err) != UPERNET_OK) {
        status = fail("forward", &err);
        goto done;
    }
    upernet_argmax(logits, classes, HEIGHT, WIDTH, class_map);
    const enum upernet_status st = classes == 150 ? upernet_labels_ade20k(&labels, &err)
                                                  : upernet_labels_generic(classes, &labels, &err);
    if (st != UPERNET_OK ||
        upernet_write_class_map_png(argv[3], class_map, HEIGHT, WIDTH, &labels, &err) != UPERNET_OK) {
        status = fail(argv[3], &err);
        goto done;
    }

    /* The three most frequent classes. */
    size_t *count = calloc((size_t) classes, sizeof *count);
    if (count == NULL) {
        fprintf(stderr, "segment: out of memory\n");
        goto done;
    }
    for (size_t i = 0; i < (size_t) HEIGHT * WIDTH; i++)
        count[class_map[i]]++;
    for (int rank = 0; rank < 3 && rank < classes; rank++) {
        int best = 0;
        for (int c = 1; c < classes; c++)
            if (count[c] > count[best])
                best = c;
        printf("%-24s %5.1f %%\n", labels.names[best], 100.0 * (double) count[best] / (HEIGHT * WIDTH));
        count[best] = 0;
    }
    free(count);
    status = 0;
done:
    free(pixels);
    free(logits);
    free(class_map);
    upernet_labels_free(&labels);
    upernet_image_free(&image);
    upernet_workspace_free(ws);
    upernet_model_free(model);
    return status;
}
