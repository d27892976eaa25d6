/* Parameter names: which convention a checkpoint uses, and the mmseg -> HF
 * renames of transformers' convert_convnext_upernet_to_pytorch.py
 * (docs/SPECIFICATION.md §5.3), plus the older `hidden_states_norms.{i}` alias. */
#ifndef UPERNET_IO_KEY_NAMING_H
#define UPERNET_IO_KEY_NAMING_H

#include <stddef.h>

#include "upernet.h"

/* Classifies one name: UPERNET_NAMING_MMSEG / _HF when it carries a
 * convention-specific part, _UNKNOWN when it could be either. */
enum upernet_key_naming key_naming_of(const char *name);

/* Writes the HF name of an mmseg key (unchanged when no rule applies).
 * Returns 0, or -1 when it does not fit in `cap` bytes. */
int key_naming_mmseg_to_hf(const char *mmseg, char *out, size_t cap);

/* Rewrites `backbone.hidden_states_norms.{i}.*` (older HF revisions, i = 0..3)
 * as `...stage{i+1}.*`. Returns 1 when rewritten, 0 when not an alias, -1 when
 * it does not fit. */
int key_naming_hf_alias(const char *name, char *out, size_t cap);

#endif
