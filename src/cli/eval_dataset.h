/* The dataset `upernet evaluate` reads: image files directly in one folder
 * (*.jpg, *.jpeg, *.png, in byte order of their names), each paired with
 * STEM.png in the annotation folder. */
#ifndef UPERNET_CLI_EVAL_DATASET_H
#define UPERNET_CLI_EVAL_DATASET_H

#include <stddef.h>

struct eval_sample {
    char *image;      /* path of the image */
    char *annotation; /* path of its annotation */
};

struct eval_dataset {
    struct eval_sample *samples;
    size_t count;
};

/* Lists and pairs the files. A missing annotation, an annotation with no
 * image, or an unreadable folder is printed (naming the files) and gives
 * -1. An empty image folder is an error too. */
int eval_dataset_list(const char *verb, const char *images, const char *annotations,
                      struct eval_dataset *out);

/* Keeps samples [0, limit) (limit > 0), then the shard'th of shards
 * interleaved slices (1-based; shards == 0 keeps all). */
void eval_dataset_select(struct eval_dataset *d, long limit, int shard, int shards);

/* Decodes every image and annotation (in parallel) and checks that their
 * sizes agree; prints the first problem in list order (naming both files)
 * and returns -1. */
int eval_dataset_check(const char *verb, const struct eval_dataset *d);

/* Appends the images of `path` to *d (annotation NULL): the path itself
 * when it is not a directory, else the *.jpg, *.jpeg and *.png files
 * directly in it, in byte order of their names. Prints the error and
 * returns -1 if the directory cannot be read. */
int eval_dataset_add_images(const char *verb, const char *path, struct eval_dataset *d);

void eval_dataset_free(struct eval_dataset *d);

#endif
