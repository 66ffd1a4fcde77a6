/*
 * tasks.c - Linux processes: the walk over init_task.tasks, and pid <->
 * page-table lookups built on it.
 *
 * The tasks ring holds one task_struct per thread group (threads hang off
 * their leader), which is exactly what /proc lists, plus init_task itself
 * (pid 0, "swapper/0"), which /proc does not show; the walk reports it
 * first, as LibVMI's process list does.  The walk is read.c's bounded list
 * walk: a damaged ring ends it with an error after the callback has seen
 * everything read before the damage.
 *
 * It must not loop unbounded or trust a pointer it has not read through
 * read.c's checked helpers.
 */
#include "os/linux/linux.h"

#include <string.h>

#include "core/core.h"
#include "os/os.h"

status_t lx_mm_to_dtb(vmi_instance_t vmi, const lx_state_t *st, addr_t mm, addr_t *dtb)
{
    addr_t pgd, pa;
    if (lx_read_ptr(vmi, st, mm + st->off[LX_OFF_PGD], &pgd) != VMI_SUCCESS) {
        core_error_prefix(vmi, "mm_struct 0x%llx: pgd", (unsigned long long)mm);
        return VMI_FAILURE;
    }
    if (!lx_is_kernel_va(st, pgd)) {
        core_error(vmi, "mm_struct 0x%llx: pgd 0x%llx is not a kernel address",
                   (unsigned long long)mm, (unsigned long long)pgd);
        return VMI_FAILURE;
    }
    if (lx_kv2p(vmi, st, pgd, &pa) != VMI_SUCCESS) {
        core_error_prefix(vmi, "mm_struct 0x%llx: pgd 0x%llx", (unsigned long long)mm,
                          (unsigned long long)pgd);
        return VMI_FAILURE;
    }
    *dtb = pa;
    return VMI_SUCCESS;
}

/* One task's facts.  Only an unreadable task_struct is an error: a bad mm
 * or parent pointer leaves dtb 0 / ppid -1 for that entry. */
static status_t read_task(vmi_instance_t vmi, const lx_state_t *st, addr_t task,
                          tvmi_process_t *p, bool want_parent)
{
    uint32_t pid;
    addr_t mm;
    memset(p, 0, sizeof(*p));
    p->task = task;
    p->ppid = -1;
    if (lx_read_u32(vmi, st, task + st->off[LX_OFF_PID], &pid) != VMI_SUCCESS ||
        lx_read_chars(vmi, st, task + st->off[LX_OFF_NAME], p->name, LX_COMM_LEN) !=
            VMI_SUCCESS ||
        lx_read_ptr(vmi, st, task + st->off[LX_OFF_MM], &mm) != VMI_SUCCESS) {
        core_error_prefix(vmi, "task_struct at 0x%llx", (unsigned long long)task);
        return VMI_FAILURE;
    }
    p->pid = (int32_t)pid;
    if (mm && lx_mm_to_dtb(vmi, st, mm, &p->dtb) != VMI_SUCCESS)
        p->dtb = 0;
    if (want_parent && st->off_src[LX_OFF_PARENT] != LX_SRC_NONE) {
        addr_t parent;
        uint32_t ppid;
        if (lx_read_ptr(vmi, st, task + st->off[LX_OFF_PARENT], &parent) == VMI_SUCCESS &&
            lx_is_kernel_va(st, parent) &&
            lx_read_u32(vmi, st, parent + st->off[LX_OFF_PID], &ppid) == VMI_SUCCESS)
            p->ppid = (int32_t)ppid;
    }
    return VMI_SUCCESS;
}

/* Calls fn on every task, init_task first.  fn returns non-zero to stop. */
typedef int (*task_fn)(void *ctx, const tvmi_process_t *p);

static status_t walk_tasks(vmi_instance_t vmi, const lx_state_t *st, bool want_parent,
                           task_fn fn, void *ctx, size_t *seen)
{
    tvmi_process_t p;
    os_walk_t w;
    addr_t next;
    int r;

    *seen = 0;
    if (read_task(vmi, st, st->init_task, &p, want_parent) != VMI_SUCCESS) {
        core_error_prefix(vmi, "init_task");
        return VMI_FAILURE;
    }
    (*seen)++;
    if (fn(ctx, &p))
        return VMI_SUCCESS;
    lx_walk_init(&w, st, st->init_task + st->off[LX_OFF_TASKS], OS_WALK_LIMIT, "task list");
    while ((r = os_walk_next(vmi, &w, &next)) == 1) {
        if (read_task(vmi, st, next - st->off[LX_OFF_TASKS], &p, want_parent) != VMI_SUCCESS) {
            r = -1;
            break;
        }
        (*seen)++;
        if (fn(ctx, &p)) {
            r = 0;
            break;
        }
    }
    os_walk_done(&w);
    if (r < 0) {
        core_error_prefix(vmi, "task list (after %zu tasks)", *seen);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

typedef struct fwd {
    tvmi_process_fn fn;
    void *ctx;
} fwd_t;

static int forward(void *ctx, const tvmi_process_t *p)
{
    fwd_t *f = ctx;
    return f->fn(f->ctx, p);
}

status_t lx_process_foreach(vmi_instance_t vmi, void *state, tvmi_process_fn fn, void *ctx)
{
    lx_state_t *st = state;
    fwd_t f = { fn, ctx };
    size_t n;
    lx_offsets_parent(vmi, st);
    return walk_tasks(vmi, st, true, forward, &f, &n);
}

typedef struct find {
    vmi_pid_t pid;
    addr_t dtb;
    bool found, kernel;
} find_t;

static int match_pid(void *ctx, const tvmi_process_t *p)
{
    find_t *f = ctx;
    if (p->pid != f->pid)
        return 0;
    f->found = true;
    f->dtb = p->dtb;
    f->kernel = p->dtb == 0;
    return 1;
}

status_t lx_pid_to_dtb(vmi_instance_t vmi, void *state, vmi_pid_t pid, addr_t *dtb)
{
    lx_state_t *st = state;
    find_t f = { pid, 0, false, false };
    size_t n;
    if (pid == 0 && st->kdtb) {
        *dtb = st->kdtb;
        return VMI_SUCCESS;
    }
    if (walk_tasks(vmi, st, false, match_pid, &f, &n) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (!f.found) {
        core_error(vmi, "no process with pid %d (%zu tasks walked)", pid, n);
        return VMI_FAILURE;
    }
    if (f.kernel) {
        /* A kernel thread has no address space of its own; it runs on the
         * kernel's page table. */
        if (!st->kdtb) {
            core_error(vmi, "pid %d is a kernel thread and the kernel page table is unknown",
                       pid);
            return VMI_FAILURE;
        }
        *dtb = st->kdtb;
        return VMI_SUCCESS;
    }
    *dtb = f.dtb;
    return VMI_SUCCESS;
}

typedef struct find_dtb {
    addr_t dtb;
    arch_x86_mode_t mode;
    vmi_pid_t pid;
    bool found;
} find_dtb_t;

static int match_dtb(void *ctx, const tvmi_process_t *p)
{
    find_dtb_t *f = ctx;
    if (!p->dtb)
        return 0;
    addr_t want = arch_x86_dtb_base(f->mode, f->dtb);
    addr_t have = arch_x86_dtb_base(f->mode, p->dtb);
    /* With page-table isolation the user half's root is the next page
     * (PTI_PGTABLE_SWITCH_BIT, bit 12) of the kernel's 8 KiB pgd. */
    bool pti = (f->mode == ARCH_X86_IA32E_4 || f->mode == ARCH_X86_IA32E_5) &&
               want == (have | 0x1000);
    if (want != have && !pti)
        return 0;
    f->pid = p->pid;
    f->found = true;
    return 1;
}

status_t lx_dtb_to_pid(vmi_instance_t vmi, void *state, addr_t dtb, vmi_pid_t *pid)
{
    lx_state_t *st = state;
    find_dtb_t f = { dtb, st->mode, 0, false };
    size_t n;
    if (walk_tasks(vmi, st, false, match_dtb, &f, &n) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (!f.found) {
        if (st->kdtb && arch_x86_dtb_base(st->mode, dtb) == st->kdtb) {
            *pid = 0;
            return VMI_SUCCESS;
        }
        core_error(vmi, "no process has page table 0x%llx (%zu tasks walked)",
                   (unsigned long long)dtb, n);
        return VMI_FAILURE;
    }
    *pid = f.pid;
    return VMI_SUCCESS;
}
