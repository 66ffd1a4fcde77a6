/*
 * embed.c - configuration entries compiled into the program (tinyvmi.h:
 * tvmi_embed_register, tvmi_embedded_entry), for targets without a file
 * system: a MiniOS stub domain, a unikernel, an initramfs.
 *
 * Entries are found two ways.  A program registers them; or it links a file
 * vmi-embed wrote, which defines tvmi_embedded_entry, and this file's weak
 * reference to that name picks it up: a LibVMI program needs no change.
 * The weak reference has default visibility so that it binds to the
 * program's definition in a shared libtinyvmi too.
 *
 * An entry is data from outside the library: it is checked whole before
 * first use (its config parsed, its symbol table opened with every check
 * util_symz_open makes), and a damaged one is refused with the reason.
 * This file touches no file and no guest; it must not allocate per lookup.
 */
#include <string.h>

#include "core/core.h"
#include "core/embed.h"
#include "core/config.h"
#include "core/instance.h"
#include "util/sys.h"

#define EMBED_MAX 16
#define EMBED_NAME_MAX 255

/* The entry a vmi-embed file defines; absent (address 0) otherwise. */
extern const tvmi_embedded_t tvmi_embedded_entry __attribute__((weak, visibility("default")));

static core_embed_t slots[EMBED_MAX];
static size_t nslots;
static core_embed_t auto_slot;
static int auto_state; /* 0 unchecked, 1 good, -1 damaged (auto_why) */
static util_err_t auto_why;

static bool check(const tvmi_embedded_t *e, core_embed_t *slot, util_err_t *err)
{
    if (e->magic != TVMI_EMBED_MAGIC || e->version != TVMI_EMBED_VERSION) {
        util_err_set(err, "magic 0x%08x version %u, not TinyVMI's 0x%08x version %u (written "
                          "by another vmi-embed?)",
                     e->magic, e->version, TVMI_EMBED_MAGIC, TVMI_EMBED_VERSION);
        return false;
    }
    size_t n = e->name ? strnlen(e->name, EMBED_NAME_MAX + 1) : 0;
    if (n == 0 || n > EMBED_NAME_MAX) {
        util_err_set(err, "the entry name is missing or longer than %d bytes", EMBED_NAME_MAX);
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)e->name[i] < 0x20 || e->name[i] == 0x7f) {
            util_err_set(err, "the entry name holds a control byte");
            return false;
        }
    if (!e->config) {
        util_err_set(err, "entry %s has no config text", e->name);
        return false;
    }
    config_t *c = config_new();
    bool found;
    if (!c) {
        util_err_set(err, "out of memory");
        return false;
    }
    bool ok = config_parse(c, e->config, NULL, &found, err);
    config_free(c);
    if (!ok) {
        util_err_prefix(err, "entry %s: config", e->name);
        return false;
    }
    memset(slot, 0, sizeof(*slot));
    slot->entry = e;
    if (e->symbols || e->symbols_len) {
        if (!util_symz_open(&slot->syms, e->symbols, e->symbols_len, err)) {
            util_err_prefix(err, "entry %s", e->name);
            return false;
        }
        slot->has_syms = true;
    }
    return true;
}

static status_t embed_register(const tvmi_embedded_t *e)
{
    static const char fn[] = "tvmi_embed_register";
    util_err_t err;
    core_embed_t slot;
    if (!e) {
        core_api_no_instance(fn, "a required argument is NULL (entry)");
        return VMI_FAILURE;
    }
    util_err_clear(&err);
    if (!check(e, &slot, &err)) {
        core_api_no_instance(fn, "embedded entry refused: %s", util_err_msg(&err));
        return VMI_FAILURE;
    }
    util_sys_lock();
    status_t rc = VMI_SUCCESS;
    for (size_t i = 0; i < nslots && rc == VMI_SUCCESS; i++) {
        if (slots[i].entry == e)
            goto out; /* the same entry again */
        if (strcmp(slots[i].entry->name, e->name) == 0) {
            core_api_no_instance(fn, "an entry named %s is already registered", e->name);
            rc = VMI_FAILURE;
        }
    }
    if (rc == VMI_SUCCESS && nslots == EMBED_MAX) {
        core_api_no_instance(fn, "%d entries are registered already", EMBED_MAX);
        rc = VMI_FAILURE;
    }
    if (rc == VMI_SUCCESS)
        slots[nslots++] = slot;
out:
    util_sys_unlock();
    return rc;
}

status_t tvmi_embed_register(const tvmi_embedded_t *entry)
{
    CORE_API(NULL, embed_register(entry));
}

static bool matches(const core_embed_t *s, const char *target)
{
    return strcmp(s->entry->name, "*") == 0 || config_entry_matches(s->entry->name, target);
}

status_t core_embed_find(const char *target, const core_embed_t **out, util_err_t *err)
{
    *out = NULL;
    if (!target)
        return VMI_SUCCESS;
    util_sys_lock();
    for (size_t i = 0; i < nslots && !*out; i++)
        if (matches(&slots[i], target))
            *out = &slots[i];
    if (!*out && &tvmi_embedded_entry != NULL) {
        if (auto_state == 0) {
            util_err_clear(&auto_why);
            auto_state = check(&tvmi_embedded_entry, &auto_slot, &auto_why) ? 1 : -1;
        }
        if (auto_state < 0) {
            util_err_set(err, "the embedded entry tvmi_embedded_entry is damaged: %s",
                         util_err_msg(&auto_why));
            util_sys_unlock();
            return VMI_FAILURE;
        }
        if (matches(&auto_slot, target))
            *out = &auto_slot;
    }
    util_sys_unlock();
    return VMI_SUCCESS;
}

const struct util_symz *core_embedded_symbols(vmi_instance_t vmi)
{
    return vmi && vmi->embedded && vmi->embedded->has_syms ? &vmi->embedded->syms : NULL;
}

const char *core_embedded_name(vmi_instance_t vmi)
{
    return vmi && vmi->embedded ? vmi->embedded->entry->name : NULL;
}

bool core_config_file_entry(const char *path, const char *entry,
                            void (*fn)(void *ctx, const char *key, const char *value), void *ctx,
                            util_err_t *err)
{
    config_t *c = config_new();
    bool found = false;
    if (!c) {
        util_err_set(err, "out of memory");
        return false;
    }
    bool ok = config_parse_file(c, path, entry, &found, err);
    if (ok && !found) {
        util_err_set(err, "config file %s has no entry %s", path, entry ? entry : "at all");
        ok = false;
    }
    if (ok)
        config_foreach(c, fn, ctx);
    config_free(c);
    return ok;
}
