/*
 * tinyvmi.h - what TinyVMI offers beyond LibVMI's interface.
 *
 * Everything here carries the tvmi_ prefix.  Included by <libvmi/libvmi.h>,
 * so LibVMI programs may call these without further changes.
 */
#ifndef TINYVMI_H
#define TINYVMI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <libvmi/libvmi.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

#define TINYVMI_VERSION "0.1.0"

/* Why the last failing call on this instance failed, e.g.
 * "vmi_read_va: PTE for 0xffffffff81000000 at 0x1a3f008: not present".
 * Never NULL; "" when nothing has failed.  Valid until the next call. */
const char *tvmi_errmsg(vmi_instance_t vmi);

/* Why the last vmi_init / vmi_init_complete on this thread failed; the
 * instance is gone then, so the reason is kept per thread. */
const char *tvmi_init_errmsg(void);

/* The text for a vmi_init_error_t value ("the configuration has no entry
 * for the target", ...), a constant string.  Never fails: a value it does
 * not know gives "unknown init error". */
const char *tvmi_init_error_str(int error);

/* Page-table levels in use: 2 (legacy), 3 (PAE), 4, 5 (LA57).  LibVMI
 * reports both IA-32e variants as VMI_PM_IA32E; this tells them apart.
 * Never fails: 0 without paging, when unknown, or when vmi is NULL. */
unsigned int tvmi_get_paging_levels(vmi_instance_t vmi);

/* Cache statistics, for tools and benchmarks: hits, misses, entries and
 * capacity of the translation and page caches.  Does nothing when vmi or
 * stats is NULL. */
typedef struct tvmi_cache_stats {
    uint64_t v2p_hits, v2p_misses;
    size_t v2p_entries, v2p_capacity;
    uint64_t page_hits, page_misses;
    size_t page_entries, page_capacity;
} tvmi_cache_stats_t;
void tvmi_get_cache_stats(vmi_instance_t vmi, tvmi_cache_stats_t *stats);

/* A configuration value by its libvmi.conf key, as text, including what
 * was found at run time ("linux_symbols", "linux_banner", offsets).  The
 * string belongs to the instance.  Never fails: NULL when the key is unset
 * or vmi or key is NULL. */
const char *tvmi_get_config(vmi_instance_t vmi, const char *key);


/* The i-th run of guest-physical RAM [start, end), in ascending order.
 * Holes between runs are not RAM.  Fails past the last run (the way to
 * stop a loop over them) and when an argument is NULL. */
status_t tvmi_get_memory_range(vmi_instance_t vmi, size_t i, uint64_t *start, uint64_t *end);

/* ---- Facts the target states about its guest ----
 * A crash dump's header names the kernel's list heads, the bug check, the
 * build, the time; a triage dump lists the loaded modules.  Keys are
 * namespaced ("win.BugCheckCode", "win.Comment", "win.Triage.Module.0.Name";
 * docs/windows.md lists them).  They are the target's word, unchecked. */
typedef struct tvmi_fact {
    const char *key;
    const char *text;   /* UTF-8 text, or NULL when the fact is a number */
    uint64_t value;     /* the number (0 for text) */
} tvmi_fact_t;

/* The i-th fact, in the target's fixed order (0, 1, ... until it fails);
 * the strings stay valid until vmi_destroy.  VMI_FAILURE past the last, or
 * when the target states none, with the reason. */
status_t tvmi_get_fact(vmi_instance_t vmi, size_t i, tvmi_fact_t *fact);
/* The fact named key; VMI_FAILURE with the reason when the target does not
 * state it. */
status_t tvmi_get_fact_by_key(vmi_instance_t vmi, const char *key, tvmi_fact_t *fact);

/* ---- The pages a page table maps, without glib ----
 *
 * vmi_get_va_pages (<libvmi/libvmi_extra.h>, with LIBVMI_EXTRA_GLIB)
 * returns glib's GSList.  A tvmi_list_t has GSList's layout, and
 * tvmi_get_va_pages returns the same list as vmi_get_va_pages for programs
 * without glib: each node's data is a page_info_t.  See libvmi_extra.h for
 * what the list holds and its limits. */
typedef struct tvmi_list {
    void *data;
    struct tvmi_list *next;
} tvmi_list_t;

/* The pages page table pt maps, as vmi_get_va_pages lists them; free it
 * with tvmi_free_va_pages.  NULL on failure, with the reason in
 * tvmi_errmsg(vmi), in the cases vmi_get_va_pages lists. */
tvmi_list_t *tvmi_get_va_pages(vmi_instance_t vmi, addr_t pt);

/* Free a list from vmi_get_va_pages (a GSList *) or tvmi_get_va_pages:
 * every node and every page_info_t.  Always correct, with or without glib
 * in the program (libvmi_extra.h says when g_slist_free_full(list, g_free)
 * is too).  Accepts NULL. */
void tvmi_free_va_pages(void *list);

/* ---- Processes and modules, as the OS layer sees them ---- */
#define TVMI_NAME_MAX 256

typedef struct tvmi_process {
    int32_t pid;
    char name[TVMI_NAME_MAX]; /* Linux comm / Windows ImageFileName */
    uint64_t dtb;             /* page-table base (0 for kernel threads) */
    uint64_t task;            /* task_struct / EPROCESS virtual address */
    int32_t ppid;             /* parent pid, -1 when unknown */
} tvmi_process_t;

typedef struct tvmi_module {
    char name[TVMI_NAME_MAX];
    uint64_t base;
    uint64_t size;
    uint64_t object; /* struct module / LDR_DATA_TABLE_ENTRY address */
} tvmi_module_t;

/* Return 0 to go on, non-zero to stop the walk early (not an error). */
typedef int (*tvmi_process_fn)(void *ctx, const tvmi_process_t *proc);
typedef int (*tvmi_module_fn)(void *ctx, const tvmi_module_t *mod);

/* Walk the guest's process / kernel-module list.  A corrupt list (a cycle,
 * an unreadable pointer, an absurd length) ends the walk with VMI_FAILURE and
 * a reason, after fn has seen every entry read before the damage. */
status_t tvmi_process_foreach(vmi_instance_t vmi, tvmi_process_fn fn, void *ctx);
status_t tvmi_module_foreach(vmi_instance_t vmi, tvmi_module_fn fn, void *ctx);

/* ---- Configuration and symbols compiled into the program ----
 * (docs/minimal-domain.md).  An embedded entry is a libvmi.conf entry and,
 * optionally, the kernel's symbols in TinyVMI's compact table, as constant
 * data in the program: vmi_init with VMI_CONFIG_GLOBAL_FILE_ENTRY takes an
 * entry whose name matches the target (as a libvmi.conf entry name does;
 * "*" matches every target) before any file, and then opens no
 * configuration or symbol file at all.  Order: entries registered with
 * tvmi_embed_register, in the order registered, then the entry a linked
 * vmi-embed file defines as tvmi_embedded_entry, then $TINYVMI_CONF,
 * ~/etc/libvmi.conf, /etc/libvmi.conf, /usr/local/etc/libvmi.conf.
 * vmi-embed writes the C file; nothing here needs writing by hand. */
#define TVMI_EMBED_MAGIC 0x454d5654u /* "TVME" */
#define TVMI_EMBED_VERSION 1u

typedef struct tvmi_embedded {
    uint32_t magic;                /* TVMI_EMBED_MAGIC */
    uint32_t version;              /* TVMI_EMBED_VERSION */
    const char *name;              /* entry name, matched like a libvmi.conf entry's */
    const char *config;            /* the entry's body: "ostype = \"Linux\"; ..." */
    const unsigned char *symbols;  /* the compact symbol table, or NULL */
    size_t symbols_len;
} tvmi_embedded_t;

/* Register an entry kept in constant storage (the pointer is kept, never
 * copied: it must stay valid for as long as instances may be opened).  The
 * entry is checked first: magic and version, a name of 1..255 printable
 * bytes, a config body that parses, and a symbol table whose every part
 * (header, bounds, name order, address order) is sound.  Fails, with the
 * reason in tvmi_errmsg(NULL), when that check fails, when entry is NULL,
 * when another entry of that name is registered (registering the same entry
 * twice succeeds), or when 16 entries are registered already. */
status_t tvmi_embed_register(const tvmi_embedded_t *entry);

/* What vmi-embed asks for: the C file an embedded entry is compiled from. */
typedef enum tvmi_symbols_kind {
    TVMI_SYMBOLS_NONE,      /* no symbols: only the configuration */
    TVMI_SYMBOLS_SYSMAP,    /* System.map text ("addr type name" lines) */
    TVMI_SYMBOLS_KALLSYMS,  /* /proc/kallsyms text (module symbols skipped) */
    TVMI_SYMBOLS_ISF,       /* a Volatility 3 ISF JSON profile (Linux) */
} tvmi_symbols_kind_t;

#define TVMI_EMBED_MODULE_SYMBOLS 1u /* kallsyms: keep module symbols too */
#define TVMI_EMBED_REGISTER_ONLY 2u  /* define `variable`, not tvmi_embedded_entry */
#define TVMI_EMBED_NO_SYMBOLS 4u     /* the configuration only, even with a sysmap key */

typedef struct tvmi_embed_spec {
    const char *config;         /* a libvmi.conf path */
    const char *entry;          /* the entry to take from it; NULL: the only one */
    const char *name;           /* the name to embed it under; NULL: entry's,
                                   or "*" (any target) when entry is NULL */
    const char *symbols;        /* symbol file; NULL: the entry's sysmap, if any */
    tvmi_symbols_kind_t kind;   /* what symbols is */
    unsigned int flags;         /* TVMI_EMBED_* */
    const char *variable;       /* C identifier for TVMI_EMBED_REGISTER_ONLY */
} tvmi_embed_spec_t;

/* Write the C source of an embedded entry to out: the entry's keys (less
 * sysmap, whose symbols are compiled in instead), the symbol table as a
 * const array, and either tvmi_embedded_entry (picked up by linking the
 * file) or a variable to pass to tvmi_embed_register.  Fails with the
 * reason in tvmi_errmsg(NULL) when an argument is missing, the config or
 * symbol file cannot be read or parsed (naming the file and line), the
 * entry is absent, or out cannot be written; out may then hold a part. */
status_t tvmi_embed_generate(const tvmi_embed_spec_t *spec, FILE *out);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif
