/* JSON reading helpers shared by the golden loaders (tests/golden.c,
 * tests/golden_f64.c), on jansson. Each records the first error only (the
 * file and what is wrong) and leaves the rest of the parse to check
 * p->failed. */
#ifndef UPERNET_TESTS_GOLDEN_JSON_H
#define UPERNET_TESTS_GOLDEN_JSON_H

#include <jansson.h>
#include <stddef.h>

/* The parsing context: the file for messages, the first error wins. */
struct parse {
    const char *path;
    char *err;
    size_t err_size;
    int failed;
};

/* Records "path: fmt" with %s = what, unless an error is already recorded. */
void parse_error(struct parse *p, const char *fmt, const char *what);
/* obj[name]; NULL (and an error) when obj is not an object or lacks it. */
json_t *member(struct parse *p, json_t *obj, const char *name);
double number(struct parse *p, json_t *obj, const char *name);
int integer(struct parse *p, json_t *obj, const char *name);
void string(struct parse *p, json_t *obj, const char *name, char *dst, size_t dst_size);

#endif
