/*
 * process.c - the guest's processes: the EPROCESS list that starts at
 * PsActiveProcessHead and runs through _EPROCESS.ActiveProcessLinks.
 *
 * Each entry gives the pid (UniqueProcessId), the name (ImageFileName,
 * 15 bytes), the page-table base (Pcb.DirectoryTableBase) and, when the
 * profile has it, the parent pid.  The System process (pid 4) supplies the
 * kernel's page table.
 *
 * Must not: walk without win_walk_list, or adopt a page table for the kernel
 * that does not map the kernel where the current one does.
 */
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "os/windows/windows.h"

#define IMAGE_FILE_NAME_LEN 15

static status_t need_list(vmi_instance_t vmi, const win_state_t *st)
{
    if (win_need_process_offsets(vmi, st) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (!st->ps_active) /* with the crash dump header's facts that were refused, if any */
        return win_list_head_unknown(vmi, st, "PsActiveProcessHead", st->note_active);
    return VMI_SUCCESS;
}

/* Read one EPROCESS whose ActiveProcessLinks lie at links. */
static status_t read_process(vmi_instance_t vmi, const win_state_t *st, addr_t links,
                             tvmi_process_t *p)
{
    const win_offsets_t *o = &st->off;
    addr_t ep = links - o->tasks, v;
    memset(p, 0, sizeof(*p));
    p->task = ep;
    p->ppid = -1;
    if (win_read_ptr(vmi, st, ep + o->pid, &v) != VMI_SUCCESS) {
        core_error_prefix(vmi, "EPROCESS 0x%llx: UniqueProcessId", (unsigned long long)ep);
        return VMI_FAILURE;
    }
    /* Process ids are multiples of 4 below 2^32; anything else is damage
     * (or a wrong win_pid), but it is shown rather than hidden. */
    p->pid = (int32_t)(uint32_t)v;
    if (win_read(vmi, ep + o->pname, p->name, IMAGE_FILE_NAME_LEN) != VMI_SUCCESS) {
        core_error_prefix(vmi, "EPROCESS 0x%llx: ImageFileName", (unsigned long long)ep);
        return VMI_FAILURE;
    }
    p->name[IMAGE_FILE_NAME_LEN] = '\0';
    if (win_read_ptr(vmi, st, ep + o->pdbase, &v) != VMI_SUCCESS) {
        core_error_prefix(vmi, "EPROCESS 0x%llx: DirectoryTableBase", (unsigned long long)ep);
        return VMI_FAILURE;
    }
    p->dtb = v;
    if (o->ppid != WIN_UNKNOWN && win_read_ptr(vmi, st, ep + o->ppid, &v) == VMI_SUCCESS)
        p->ppid = (int32_t)(uint32_t)v;
    return VMI_SUCCESS;
}

typedef struct foreach_ctx {
    tvmi_process_fn fn;
    void *ctx;
} foreach_ctx_t;

static int each_process(vmi_instance_t vmi, win_state_t *st, addr_t entry, void *ctx)
{
    foreach_ctx_t *f = ctx;
    tvmi_process_t p;
    if (read_process(vmi, st, entry, &p) != VMI_SUCCESS)
        return -1;
    return f->fn(f->ctx, &p) ? 1 : 0;
}

status_t win_process_foreach(vmi_instance_t vmi, void *state, tvmi_process_fn fn, void *ctx)
{
    win_state_t *st = state;
    foreach_ctx_t f = { fn, ctx };
    if (need_list(vmi, st) != VMI_SUCCESS)
        return VMI_FAILURE;
    return win_walk_list(vmi, st, st->ps_active, "process list (PsActiveProcessHead)",
                         each_process, &f);
}

typedef struct find_ctx {
    bool by_pid;
    vmi_pid_t pid;
    addr_t dtb;
    bool found;
    tvmi_process_t proc;
    win_state_t *st;
    vmi_instance_t vmi;
} find_ctx_t;

static int find_one(void *ctx, const tvmi_process_t *p)
{
    find_ctx_t *f = ctx;
    bool hit;
    if (f->by_pid) {
        hit = p->pid == f->pid;
    } else {
        arch_x86_mode_t mode = core_paging_mode(f->vmi);
        hit = arch_x86_dtb_base(mode, p->dtb) == arch_x86_dtb_base(mode, f->dtb);
        /* With KVA shadowing (KPTI) user mode runs on a second table. */
        if (!hit && f->st->off.user_dtb != WIN_UNKNOWN) {
            addr_t u;
            if (win_read_ptr(f->vmi, f->st, p->task + f->st->off.user_dtb, &u) ==
                    VMI_SUCCESS && u > 1)
                hit = arch_x86_dtb_base(mode, u) == arch_x86_dtb_base(mode, f->dtb);
        }
    }
    if (hit) {
        f->found = true;
        f->proc = *p;
    }
    return hit;
}

status_t win_pid_to_dtb(vmi_instance_t vmi, void *state, vmi_pid_t pid, addr_t *dtb)
{
    find_ctx_t f = { .by_pid = true, .pid = pid, .st = state, .vmi = vmi };
    if (win_process_foreach(vmi, state, find_one, &f) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (!f.found) {
        core_error(vmi, "no process with pid %d in the process list", (int)pid);
        return VMI_FAILURE;
    }
    *dtb = f.proc.dtb;
    return VMI_SUCCESS;
}

status_t win_dtb_to_pid(vmi_instance_t vmi, void *state, addr_t dtb, vmi_pid_t *pid)
{
    find_ctx_t f = { .by_pid = false, .dtb = dtb, .st = state, .vmi = vmi };
    if (win_process_foreach(vmi, state, find_one, &f) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (!f.found) {
        core_error(vmi, "no process uses page table 0x%llx", (unsigned long long)dtb);
        return VMI_FAILURE;
    }
    *pid = f.proc.pid;
    return VMI_SUCCESS;
}

/* pid 4 since XP (8 on Windows 2000), named "System". */
static bool is_system(const tvmi_process_t *p)
{
    return (p->pid == 4 || p->pid == 8) && strcmp(p->name, "System") == 0;
}

bool win_process_is_system(vmi_instance_t vmi, const win_state_t *st, addr_t links,
                           char *why, size_t size)
{
    tvmi_process_t p;
    if (read_process(vmi, st, links, &p) != VMI_SUCCESS) {
        snprintf(why, size, "its first process is unreadable");
        return false;
    }
    if (is_system(&p))
        return true;
    /* The name is guest bytes: show only printable ones. */
    for (char *c = p.name; *c; c++)
        if (*c < 0x20 || *c > 0x7e)
            *c = '?';
    snprintf(why, size, "its first process is pid %d \"%s\" at 0x%llx, not System",
             (int)p.pid, p.name, (unsigned long long)p.task);
    return false;
}

static int find_system(void *ctx, const tvmi_process_t *p)
{
    find_ctx_t *f = ctx;
    if (is_system(p)) {
        f->found = true;
        f->proc = *p;
        return 1;
    }
    return 0;
}

void win_find_system(vmi_instance_t vmi, win_state_t *st)
{
    find_ctx_t f = { .st = st, .vmi = vmi };
    char saved[UTIL_ERR_MAX];
    snprintf(saved, sizeof(saved), "%s", tvmi_errmsg(vmi));
    if (win_process_foreach(vmi, st, find_system, &f) == VMI_SUCCESS && f.found) {
        st->sysproc = f.proc.task;
        arch_x86_mode_t mode = core_paging_mode(vmi);
        addr_t dtb = arch_x86_dtb_base(mode, f.proc.dtb), cur = core_kernel_dtb(vmi);
        addr_t pa_new, pa_cur;
        /* Adopt System's table only if it maps the kernel where the current
         * one does: a damaged EPROCESS must not break translation. */
        if (dtb && dtb != cur &&
            vmi_pagetable_lookup(vmi, dtb, st->kbase, &pa_new) == VMI_SUCCESS &&
            vmi_pagetable_lookup(vmi, cur, st->kbase, &pa_cur) == VMI_SUCCESS &&
            pa_new == pa_cur)
            core_set_kernel_dtb(vmi, dtb);
    }
    core_error(vmi, "%s", saved);
}
