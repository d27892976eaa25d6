/* Listing, pairing and checking an evaluation dataset before any inference,
 * so that a bad dataset fails at once and writes nothing. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/eval_dataset.h"
#include "upernet.h"

static int has_suffix(const char *name, const char *suffix)
{
    const size_t n = strlen(name), k = strlen(suffix);
    return n > k && strcmp(name + n - k, suffix) == 0;
}

static int is_image_name(const char *name)
{
    return has_suffix(name, ".jpg") || has_suffix(name, ".jpeg") || has_suffix(name, ".png");
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

static int is_regular_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The regular files of `dir` accepted by `keep`, sorted by name (byte order). */
static int list_files(const char *verb, const char *dir, int (*keep)(const char *), char ***names,
                      size_t *count)
{
    *names = NULL;
    *count = 0;
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "upernet %s: %s: %s\n", verb, dir, strerror(errno));
        return -1;
    }
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!keep(e->d_name))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (!is_regular_file(path))
            continue;
        if (*count == cap) {
            cap = cap ? 2 * cap : 256;
            char **grown = realloc(*names, cap * sizeof *grown);
            if (grown == NULL)
                break;
            *names = grown;
        }
        if (((*names)[*count] = strdup(e->d_name)) == NULL)
            break;
        (*count)++;
    }
    const int failed = e != NULL;
    closedir(d);
    if (failed) {
        fprintf(stderr, "upernet %s: %s: out of memory listing the folder\n", verb, dir);
        return -1;
    }
    if (*count > 0)
        qsort(*names, *count, sizeof **names, compare_names);
    return 0;
}

static int is_png_name(const char *name)
{
    return has_suffix(name, ".png");
}

static void free_names(char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

static char *join(const char *dir, const char *name, size_t stem_len, const char *suffix)
{
    const size_t n = strlen(dir) + 1 + stem_len + strlen(suffix) + 1;
    char *path = malloc(n);
    if (path != NULL)
        snprintf(path, n, "%s/%.*s%s", dir, (int) stem_len, name, suffix);
    return path;
}

int eval_dataset_list(const char *verb, const char *images, const char *annotations,
                      struct eval_dataset *out)
{
    out->samples = NULL;
    out->count = 0;
    char **image_names, **label_names;
    size_t n_images, n_labels;
    if (list_files(verb, images, is_image_name, &image_names, &n_images) != 0)
        return -1;
    if (list_files(verb, annotations, is_png_name, &label_names, &n_labels) != 0) {
        free_names(image_names, n_images);
        return -1;
    }
    int rc = 0;
    if (n_images == 0) {
        fprintf(stderr, "upernet %s: %s: no *.jpg, *.jpeg or *.png images\n", verb, images);
        rc = -1;
    }
    char *used = calloc(n_labels + 1, 1);
    out->samples = calloc(n_images + 1, sizeof *out->samples);
    if (rc == 0 && (used == NULL || out->samples == NULL)) {
        fprintf(stderr, "upernet %s: out of memory listing the dataset\n", verb);
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < n_images; i++) {
        const char *name = image_names[i];
        const size_t stem = (size_t) (strrchr(name, '.') - name);
        char wanted[1024];
        snprintf(wanted, sizeof wanted, "%.*s.png", (int) stem, name);
        char **hit = bsearch(&(const char *){wanted}, label_names, n_labels, sizeof *label_names,
                             compare_names);
        if (hit == NULL) {
            fprintf(stderr, "upernet %s: %s/%s: no annotation %s/%s\n", verb, images, name,
                    annotations, wanted);
            rc = -1;
            break;
        }
        if (used[hit - label_names]) {
            fprintf(stderr, "upernet %s: %s/%s: annotation %s/%s belongs to two images\n", verb,
                    images, name, annotations, wanted);
            rc = -1;
            break;
        }
        used[hit - label_names] = 1;
        struct eval_sample *s = &out->samples[out->count++];
        s->image = join(images, name, strlen(name), "");
        s->annotation = join(annotations, wanted, strlen(wanted), "");
        if (s->image == NULL || s->annotation == NULL) {
            fprintf(stderr, "upernet %s: out of memory listing the dataset\n", verb);
            rc = -1;
        }
    }
    for (size_t j = 0; rc == 0 && j < n_labels; j++)
        if (!used[j]) {
            fprintf(stderr, "upernet %s: %s/%s: annotation without an image in %s\n", verb,
                    annotations, label_names[j], images);
            rc = -1;
        }
    free(used);
    free_names(image_names, n_images);
    free_names(label_names, n_labels);
    if (rc != 0)
        eval_dataset_free(out);
    return rc;
}

void eval_dataset_select(struct eval_dataset *d, long limit, int shard, int shards)
{
    size_t keep = d->count;
    if (limit > 0 && (size_t) limit < keep)
        keep = (size_t) limit;
    size_t n = 0;
    for (size_t i = 0; i < d->count; i++) {
        const int kept = i < keep && (shards == 0 || (int) (i % (size_t) shards) == shard - 1);
        if (kept) {
            d->samples[n++] = d->samples[i];
        } else {
            free(d->samples[i].image);
            free(d->samples[i].annotation);
        }
    }
    d->count = n;
}

int eval_dataset_check(const char *verb, const struct eval_dataset *d)
{
    /* The first failing sample in list order is reported, whatever the
     * thread order. */
    long first_bad = -1;
    char message[2 * UPERNET_ERROR_MESSAGE_MAX + 256] = "";
#pragma omp parallel for schedule(dynamic)
    for (long i = 0; i < (long) d->count; i++) {
        upernet_error err;
        upernet_image image;
        upernet_annotation labels;
        char problem[sizeof message];
        problem[0] = '\0';
        if (upernet_image_load(d->samples[i].image, &image, &err) != UPERNET_OK) {
            snprintf(problem, sizeof problem, "%s", err.message);
        } else {
            if (upernet_annotation_load(d->samples[i].annotation, &labels, &err) != UPERNET_OK)
                snprintf(problem, sizeof problem, "%s", err.message);
            else if (labels.width != image.width || labels.height != image.height)
                snprintf(problem, sizeof problem,
                         "%s is %dx%d but its annotation %s is %dx%d (width x height)",
                         d->samples[i].image, image.width, image.height, d->samples[i].annotation,
                         labels.width, labels.height);
            upernet_annotation_free(&labels);
            upernet_image_free(&image);
        }
        if (problem[0] != '\0') {
#pragma omp critical(eval_dataset_check)
            if (first_bad < 0 || i < first_bad) {
                first_bad = i;
                snprintf(message, sizeof message, "%s", problem);
            }
        }
    }
    if (first_bad >= 0) {
        fprintf(stderr, "upernet %s: %s\n", verb, message);
        return -1;
    }
    return 0;
}

static int append_image(struct eval_dataset *d, char *path)
{
    struct eval_sample *grown = realloc(d->samples, (d->count + 1) * sizeof *grown);
    if (grown == NULL || path == NULL) {
        free(path);
        if (grown != NULL)
            d->samples = grown;
        return -1;
    }
    d->samples = grown;
    d->samples[d->count].image = path;
    d->samples[d->count].annotation = NULL;
    d->count++;
    return 0;
}

int eval_dataset_add_images(const char *verb, const char *path, struct eval_dataset *d)
{
    struct stat st;
    char **names = NULL;
    size_t n = 0;
    int rc = 0;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        rc = append_image(d, strdup(path));
    else if (list_files(verb, path, is_image_name, &names, &n) != 0)
        return -1;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = append_image(d, join(path, names[i], strlen(names[i]), ""));
    free_names(names, n);
    if (rc != 0)
        fprintf(stderr, "upernet %s: out of memory listing %s\n", verb, path);
    return rc;
}

void eval_dataset_free(struct eval_dataset *d)
{
    for (size_t i = 0; i < d->count; i++) {
        free(d->samples[i].image);
        free(d->samples[i].annotation);
    }
    free(d->samples);
    d->samples = NULL;
    d->count = 0;
}
