/*
 * core.h - what the core offers the layers above it (os/, events/) beyond
 * the public API: the entry and exit every public call goes through,
 * recording failure reasons, configuration values, the kernel's page table,
 * facts the target states about its guest, the caches OS answers live in,
 * the driver's live-target and event slots, and how an upper layer attaches
 * its state to an instance.  Drivers and arch/ never include this file, and
 * the core never includes a header from os/ or events/: those layers
 * register themselves here (downward), as drivers do in driver.c.
 */
#ifndef TINYVMI_CORE_H
#define TINYVMI_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include <libvmi/libvmi.h>
#include <libvmi/events.h>
#include "arch/x86.h"
#include "driver/driver.h"
#include "util/err.h"
#include "util/sys.h"

/* ---- The one entry and exit of every public call ----
 *
 * Each public function (vmi_*, tvmi_*) in every layer is written as
 *
 *     status_t vmi_thing(vmi_instance_t vmi, ...)
 *     {
 *         CORE_API(vmi, thing(vmi, ...));
 *     }
 *
 * core_api_enter clears the instance's reason, so a failing call reports
 * its own cause and never an earlier call's.  core_api_exit, on failure,
 * makes sure a reason exists and puts the public function's name in front
 * of it; on success it clears whatever inner calls left behind.  Public
 * calls made from inside another (an OS layer reading through vmi_read_*,
 * a callback during vmi_events_listen) neither clear nor add their name:
 * only the outermost call does, so an inner call cannot wipe a reason its
 * caller recorded.  With vmi NULL the reason goes to
 * a per-thread buffer that tvmi_errmsg(NULL) returns.  Readers of the
 * reason (tvmi_errmsg, tvmi_init_errmsg, tvmi_init_error_str) do not go
 * through here. */
/* What the entry and exit need of an instance, kept as its first member so
 * they can be inline (they run on every read): the number of public calls
 * in progress, whether calls need a fault guard, and the reason buffer. */
typedef struct core_api_state {
    unsigned int depth;
    bool guarded;       /* the driver maps guest memory (fault.c) */
    /* A target that runs: cached translations and page copies are dropped
     * at every outermost call, since the guest may have changed its page
     * tables meanwhile (config live_cache = event keeps them until the
     * next event or resume; live.c). */
    bool live_flush;
    char *reason;       /* the instance's util_err_t text */
} core_api_state_t;
#define CORE_API_STATE(vmi) ((core_api_state_t *)(void *)(vmi))

void core_api_enter_null(void);
status_t core_api_fail(vmi_instance_t vmi, const char *fn, status_t st);
/* Forget cached translations and page copies that a running guest may
 * have changed behind our back (live.c; also the events layer, when the
 * guest has run). */
void core_live_invalidate(vmi_instance_t vmi);

static inline void core_api_enter(vmi_instance_t vmi)
{
    core_api_state_t *a = CORE_API_STATE(vmi);
    if (!vmi)
        core_api_enter_null();
    else if (a->depth++ == 0) {
        a->reason[0] = '\0';
        if (a->live_flush)
            core_live_invalidate(vmi);
    }
}

static inline status_t core_api_exit(vmi_instance_t vmi, const char *fn, status_t st)
{
    core_api_state_t *a = CORE_API_STATE(vmi);
    if (st != VMI_SUCCESS || !vmi)
        return core_api_fail(vmi, fn, st);
    if (a->depth && --a->depth == 0)
        a->reason[0] = '\0';
    return st;
}

void core_api_exit_void(vmi_instance_t vmi, const char *fn);
/* Leave without judging success (the caller keeps the reason as it is). */
void core_api_leave(vmi_instance_t vmi);
/* Record a reason for a call made with a NULL instance. */
void core_api_no_instance(const char *fn, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A guard against guest memory vanishing under a call (fault.c): armed at
 * the outermost call on an instance whose driver maps memory. */
#define CORE_GUARD_HELD 4
typedef struct core_guard {
    util_sys_jmp_t env;
    bool armed;
    void *held[CORE_GUARD_HELD]; /* freed if the call is cut short */
} core_guard_t;
/* A malloc'd buffer the current call would leak if its guest memory
 * vanished mid-read: the guard frees it then.  Replace old by p (old NULL:
 * a new one; p NULL: no longer held).  No-op outside an armed guard. */
void core_guard_hold(void *old, void *p);
bool core_guard_arm_slow(vmi_instance_t vmi, core_guard_t *g);
void core_guard_disarm_slow(core_guard_t *g);

static inline bool core_guard_arm(vmi_instance_t vmi, core_guard_t *g)
{
    core_api_state_t *a = CORE_API_STATE(vmi);
    g->armed = false;
    return vmi && a->guarded && a->depth == 1 && core_guard_arm_slow(vmi, g);
}

static inline void core_guard_disarm(core_guard_t *g)
{
    if (g->armed)
        core_guard_disarm_slow(g);
}
void core_guard_faulted(vmi_instance_t vmi, core_guard_t *g, const char *fn);
void core_fault_install(void);

/* Calls that read guest memory: guarded; failval is what a call that lost
 * its memory returns. */
#define CORE_API_GUARDED(vmi, T, expr, ok, failval)                      \
    do {                                                                 \
        core_guard_t g_;                                                 \
        core_api_enter(vmi);                                             \
        if (core_guard_arm((vmi), &g_) && UTIL_SYS_SETJMP(g_.env)) {     \
            core_guard_faulted((vmi), &g_, __func__);                         \
            return (failval);                                            \
        }                                                                \
        T r_ = (expr);                                                   \
        core_guard_disarm(&g_);                                          \
        core_api_exit((vmi), __func__, (ok) ? VMI_SUCCESS : VMI_FAILURE); \
        return r_;                                                       \
    } while (0)
/* Run stmt under a guard outside a public call (init stages): on a fault
 * the enclosing function returns failval. */
#define CORE_API_GUARD_ONLY(vmi, name, stmt, failval)                    \
    do {                                                                 \
        core_guard_t g_;                                                 \
        core_api_enter(vmi);                                             \
        if (core_guard_arm((vmi), &g_) && UTIL_SYS_SETJMP(g_.env)) {     \
            core_guard_faulted((vmi), &g_, (name));                           \
            return (failval);                                            \
        }                                                                \
        stmt;                                                            \
        core_guard_disarm(&g_);                                          \
        core_api_leave(vmi);                                             \
    } while (0)

/* Calls that touch no guest memory (a size, a mode, a configuration value). */
#define CORE_API_RET(vmi, T, expr, ok)                                   \
    do {                                                                 \
        core_api_enter(vmi);                                             \
        T r_ = (expr);                                                   \
        core_api_exit((vmi), __func__, (ok) ? VMI_SUCCESS : VMI_FAILURE); \
        return r_;                                                       \
    } while (0)
#define CORE_API(vmi, expr) CORE_API_GUARDED(vmi, status_t, expr, r_ == VMI_SUCCESS, VMI_FAILURE)
/* For results where NULL means failure (strings, lists). */
#define CORE_API_PTR(vmi, T, expr) CORE_API_GUARDED(vmi, T, expr, r_ != NULL, NULL)

/* Inside an implementation: fail unless vmi and the arguments in cond are
 * set ("a required argument is NULL (sym && out)"). */
#define CORE_REQUIRE(vmi, cond)                                                  \
    do {                                                                         \
        if (!(vmi))                                                              \
            return VMI_FAILURE;                                                  \
        if (!(cond)) {                                                           \
            core_error((vmi), "a required argument is NULL (%s)", #cond);        \
            return VMI_FAILURE;                                                  \
        }                                                                        \
    } while (0)

/* For void calls: a reason recorded by stmt makes it a failure (the
 * reason stays for tvmi_errmsg); none, a success. */
#define CORE_API_VOID(vmi, stmt)                                         \
    do {                                                                 \
        core_guard_t g_;                                                 \
        core_api_enter(vmi);                                             \
        if (core_guard_arm((vmi), &g_) && UTIL_SYS_SETJMP(g_.env)) {     \
            core_guard_faulted((vmi), &g_, __func__);                         \
            return;                                                      \
        }                                                                \
        stmt;                                                            \
        core_guard_disarm(&g_);                                          \
        core_api_exit_void((vmi), __func__);                             \
    } while (0)

/* Record why the current call fails (replaces the previous reason). */
void core_error(vmi_instance_t vmi, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Put context in front of the current reason. */
void core_error_prefix(vmi_instance_t vmi, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The instance's reason buffer, for handing to lower layers. */
util_err_t *core_err(vmi_instance_t vmi);

/* Configuration (libvmi.conf keys).  Values are kept as text; numbers accept
 * 0x-hex, decimal and octal.  NULL / false when the key is unset or, for
 * numbers, does not parse (then core_error says which key and why). */
const char *core_config_get(vmi_instance_t vmi, const char *key);
bool core_config_get_u64(vmi_instance_t vmi, const char *key, uint64_t *out);
/* Record a value found at run time (e.g. by BTF), so vmi_get_offset and
 * vmi-linux-offsets can report it.  Keeps an existing configured value. */
void core_config_set_default(vmi_instance_t vmi, const char *key, const char *value);

/* The compact symbol table of the embedded entry (tinyvmi.h) that
 * configured this instance, already checked; NULL when the configuration
 * came from elsewhere or the entry has no symbols.  The entry's name, or
 * NULL. */
struct util_symz;
const struct util_symz *core_embedded_symbols(vmi_instance_t vmi);
const char *core_embedded_name(vmi_instance_t vmi);

/* The keys of entry `entry` of the libvmi.conf file at path (NULL: its
 * first entry, or its bare body), in sorted order, through fn (vmi-embed's
 * generator).  False with a reason naming the file, or the entry missing. */
bool core_config_file_entry(const char *path, const char *entry,
                            void (*fn)(void *ctx, const char *key, const char *value), void *ctx,
                            util_err_t *err);

/* The kernel's page table (kpgd).  The OS layer sets it once found. */
addr_t core_kernel_dtb(vmi_instance_t vmi);
void core_set_kernel_dtb(vmi_instance_t vmi, addr_t dtb);

arch_x86_mode_t core_paging_mode(vmi_instance_t vmi);

/* Guest-physical [pa, pa + len) in place, for a parser that would copy it
 * only to read it: an image mapped by its driver, whose bytes cannot change
 * while they are parsed.  NULL for a live target (its memory moves under a
 * parse: copy it), a driver that does not map, or a range that one mapping
 * does not hold whole (copy it then too); NULL is no failure and leaves
 * the reason alone.  Valid until vmi_destroy; read it only under the fault
 * guard (every public call and init hold it), since the image's file may
 * shrink under the mapping. */
const void *core_map_static(vmi_instance_t vmi, addr_t pa, size_t len);

/* A fact the target states about its guest, by namespaced key (driver.h's
 * hint: "win.PsActiveProcessHead" from a crash dump's header).  False when
 * the driver states no facts or not this one; the instance's reason is left
 * as it was, since an absent fact is not a failure.  The value is the
 * target's word: check it before use. */
bool core_driver_hint(vmi_instance_t vmi, const char *key, uint64_t *value);

/* The virtual pages in [lo, hi) of the page table at dtb that map frame
 * gfn, appended to vas[*n..max) without repeats (frames.c).  Fails with a
 * reason when one more page than fits maps the frame (*n is then max), or
 * when the table is larger than any real one (hostile). */
status_t core_frame_vas(vmi_instance_t vmi, addr_t dtb, addr_t lo, addr_t hi, addr_t gfn,
                        addr_t *vas, unsigned int max, unsigned int *n);

/* ---- Caches the OS answers live in (bounded; see cache.c) ---- */
bool core_pidcache_get(vmi_instance_t vmi, vmi_pid_t pid, addr_t *dtb);
void core_pidcache_put(vmi_instance_t vmi, vmi_pid_t pid, addr_t dtb);

/* ---- Upper layers: the running OS layer and the events layer ----
 *
 * The core needs two answers from an OS layer to resolve access contexts
 * (a kernel symbol's address, a process's page table) and must free its
 * state with the instance.  An OS layer describes itself with a core_os_t
 * (the first member of its os_ops_t, os/os.h) and attaches with core_set_os;
 * the core calls nothing else of it. */
typedef struct core_os {
    const char *name;   /* "Linux", "Windows" */
    os_t type;
    status_t (*ksym2v)(vmi_instance_t vmi, void *state, const char *sym, addr_t *va);
    status_t (*pid_to_dtb)(vmi_instance_t vmi, void *state, vmi_pid_t pid, addr_t *dtb);
    void (*destroy)(void *state);
} core_os_t;

/* Attach os with its state (destroying the previous one); NULL detaches. */
void core_set_os(vmi_instance_t vmi, const core_os_t *os, void *state);
/* The attached layer and its state, or NULL. */
const core_os_t *core_get_os(vmi_instance_t vmi, void **state);

/* State of the events layer, freed (destroy called) before the OS layer
 * and the driver go away, so it can still switch its watches off. */
void core_set_events(vmi_instance_t vmi, void *state, void (*destroy)(void *state));
void *core_get_events(vmi_instance_t vmi);

/* State of the JSON-profile calls (os/json_profile.c: the handle
 * vmi_get_kernel_json returns), freed with the instance after the OS
 * layer.  Setting it again destroys the previous state. */
void core_set_profile(vmi_instance_t vmi, void *state, void (*destroy)(void *state));
void *core_get_profile(vmi_instance_t vmi);

/* ---- Opening an instance (init.c), for the OS layer's vmi_init_complete ---- */

/* Everything vmi_init does: configuration (when with_config), caches,
 * driver, paging.  With defer_scan, a scan of memory for the page-table
 * root that neither registers nor the config can spare is left pending for
 * the OS layer (below).  On failure *out is NULL, *stage says which stage
 * failed, and the reason is in the per-thread init buffer. */
status_t core_open(vmi_instance_t *out, bool detect, vmi_mode_t mode, const void *domain,
                   uint64_t flags, const vmi_init_data_t *init_data, bool with_config,
                   vmi_config_t config_mode, void *config, bool defer_scan,
                   vmi_init_error_t *stage);
/* A pending scan (core_open's defer_scan), while the OS layer starts.  The
 * OS layer that knows where its root is offers it: core_paging_try_root
 * adopts root (its mode judged as the scan judges a root, unless
 * configured) when it maps one of va, va + step, ... (tries of them) onto
 * pa: the layer's own evidence that this is the kernel's root.  Everything
 * that needs paging before that calls core_paging_finish, which runs the
 * scan (the reason on the instance when it fails; nothing to do when none
 * is pending). */
bool core_paging_pending(vmi_instance_t vmi);
bool core_paging_try_root(vmi_instance_t vmi, addr_t root, addr_t va, uint64_t step,
                          unsigned int tries, addr_t pa, const char *how);
/* For a layer weighing a 32-bit candidate root before it offers one:
 * whether root, read as a legacy (pae false) or PAE table, maps va onto pa.
 * Reads guest memory through the core's walker; commits nothing. */
bool core_root_maps(vmi_instance_t vmi, addr_t root, bool pae, addr_t va, addr_t pa);
/* For a layer weighing a candidate root before it offers one: the pages
 * root maps in the virtual range [lo, hi), in ascending order (a large page
 * once), each with its entries (page_info_t's x86 fields, pm the mode).
 * The mode is the instance's when known (configured, registers, or a root
 * already taken), else the one the pending scan would judge root in
 * (arch_x86_root_mode).  fn returns false to stop early.  Bounded: at most
 * max_pages pages and max_tables tables (a hostile table claims every
 * entry).  Fails with a reason on the instance when root is valid in no
 * mode, when its root table cannot be read or past a bound; a walk stopped
 * by fn succeeds. */
typedef bool (*core_page_fn)(void *ctx, const page_info_t *page);
status_t core_root_pages(vmi_instance_t vmi, addr_t root, addr_t lo, addr_t hi,
                         uint64_t max_pages, uint64_t max_tables, core_page_fn fn, void *ctx);
status_t core_paging_finish(vmi_instance_t vmi);
/* Load more configuration into an open instance (vmi_init_os). */
status_t core_load_config(vmi_instance_t vmi, vmi_config_t config_mode, void *config,
                          vmi_init_error_t *stage);
/* Give up on an instance that failed a later stage of init: record its
 * reason per thread (as "<stage>: <reason>"), destroy it. */
void core_open_failed(vmi_instance_t vmi, vmi_init_error_t stage);
/* Clear the per-thread init reason (at the start of an init). */
void core_init_reason_clear(void);
/* Record a per-thread init reason when no instance exists yet. */
void core_init_reason(vmi_init_error_t stage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- The driver's live-target and event slots (live.c) ----
 * Each fails with a reason naming the driver when it lacks the slot. */
const char *core_driver_name(vmi_instance_t vmi);
uint32_t core_driver_watch_kinds(vmi_instance_t vmi);
status_t core_driver_watch(vmi_instance_t vmi, const driver_watch_t *w, bool on);
status_t core_driver_listen(vmi_instance_t vmi, uint32_t timeout_ms, driver_deliver_fn fn,
                            void *ctx);
int core_driver_pending(vmi_instance_t vmi);
/* VMI_SUCCESS while the target is there (always for images). */
status_t core_driver_alive(vmi_instance_t vmi);
#endif
