/*
 * config.h - libvmi.conf: parsing entries and looking up keys.
 *
 * The syntax LibVMI users know:
 *
 *     # a comment
 *     name {
 *         ostype = "Linux";
 *         linux_tasks = 0x4e0;
 *     }
 *
 * A config string may also be just the body ("ostype = Linux; sysmap =
 * /x"), with or without braces.  Values are kept as text; quotes are
 * removed.  Keys are case-sensitive, as in LibVMI.
 */
#ifndef TINYVMI_CORE_CONFIG_H
#define TINYVMI_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

typedef struct config config_t;

config_t *config_new(void);
void config_free(config_t *c);

/* Parse text holding named entries and/or a bare body.  Stores the keys of
 * the entry that matches `want` (see config_entry_matches) or, when want is
 * NULL or the text has a bare body, the body's keys.  Sets *found to whether
 * an entry was taken.  Syntax errors fail with "line N: reason". */
bool config_parse(config_t *c, const char *text, const char *want, bool *found,
                  util_err_t *err);
bool config_parse_file(config_t *c, const char *path, const char *want,
                       bool *found, util_err_t *err);

/* Does an entry called `entry` name the target `want`?  Exact match, or the
 * target's file name with or without its extension (images are named by
 * path, entries by short name). */
bool config_entry_matches(const char *entry, const char *want);

const char *config_get(const config_t *c, const char *key);
/* false when unset; when set but not a number, false with a reason. */
bool config_get_u64(const config_t *c, const char *key, uint64_t *out, util_err_t *err);
bool config_set(config_t *c, const char *key, const char *value);
/* Visit keys in sorted order. */
void config_foreach(const config_t *c, void (*fn)(void *ctx, const char *k, const char *v),
                    void *ctx);
size_t config_count(const config_t *c);

#endif
