/*
 * fault.c - surviving guest memory that vanishes while mapped.
 *
 * Drivers hand the core pointers into mapped files (a memory image, QEMU's
 * RAM file).  If someone truncates such a file, touching the lost pages
 * raises SIGBUS, which would kill the caller's whole process.  Every public
 * call on an instance whose driver maps memory therefore runs under a guard
 * (CORE_API in core.h): a jump point on the caller's stack, armed only at
 * the outermost call.  The host's SIGBUS handler (util/sys_posix.c) calls
 * on_fault, which jumps back to it when a guard is armed on the faulting
 * thread, and the call fails with a reason; any other SIGBUS goes to
 * whatever handler was there before, or kills as it would have.  Buffers
 * the interrupted call holds (core_guard_hold: the string and hex-dump
 * reads) are freed; anything else it had allocated is lost (a rare,
 * fatal-to-the-image event; a leak beats a dead process).
 *
 * What this must not do: catch anything but SIGBUS, or catch it outside
 * one of our calls.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/instance.h"
#include "util/sys.h"

static UTIL_SYS_THREAD_LOCAL core_guard_t *armed_guard;
static UTIL_SYS_THREAD_LOCAL void *fault_addr;
static atomic_int installed;

/* The host's fault handler calls this (util/sys.h); returning means the
 * fault is not ours. */
static void on_fault(void *addr)
{
    core_guard_t *g = armed_guard;

    if (g) {
        armed_guard = NULL;
        fault_addr = addr;
        util_sys_longjmp(g->env);
    }
}

void core_fault_install(void)
{
    int expected = 0;

    if (atomic_compare_exchange_strong(&installed, &expected, 1))
        util_sys_fault_install(on_fault);
}

void core_guard_hold(void *old, void *p)
{
    core_guard_t *g = armed_guard;
    if (!g)
        return;
    for (size_t i = 0; i < CORE_GUARD_HELD; i++)
        if (g->held[i] == old) {
            g->held[i] = p;
            return;
        }
}

bool core_guard_arm_slow(vmi_instance_t vmi, core_guard_t *g)
{
    memset(g->held, 0, sizeof(g->held));
    g->armed = !armed_guard;
    if (g->armed)
        armed_guard = g;
    return g->armed;
}

void core_guard_disarm_slow(core_guard_t *g)
{
    if (armed_guard == g)
        armed_guard = NULL;
    g->armed = false;
}

void core_guard_faulted(vmi_instance_t vmi, core_guard_t *g, const char *fn)
{
    for (size_t i = 0; i < CORE_GUARD_HELD; i++)
        free(g->held[i]);
    /* The jump left every inner call unfinished: this is the outermost. */
    vmi->api.depth = 0;
    util_err_set(&vmi->err, "%s: guest memory vanished under the read (SIGBUS at %p): the "
                            "target's mapped file %s shrank or went away",
                 fn, fault_addr, vmi->name);
}
