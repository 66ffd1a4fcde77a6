/*
 * heuristic.c - task_struct and mm_struct offsets guessed from guest data,
 * for kernels without BTF (Debian's i386 kernels) and without a
 * configuration.
 *
 * Each offset is the one position where facts every kernel guarantees hold
 * (documented at each step), checked on every task, not on one:
 *   comm   init_task's comm is "swapper" or "swapper/0" (INIT_TASK_COMM);
 *   tasks  a list_head in init_task whose ring is consistent (next->prev
 *          points back), and whose members all have a printable comm at the
 *          comm offset; of several such rings, the longest (children,
 *          sibling etc. link other fields or fewer tasks);
 *   pid    0 in init_task, 1 and 2 in the next two tasks (init and
 *          kthreadd are forked first), distinct and below PID_MAX_LIMIT in
 *          every task, and followed by tgid equal to it (the ring holds
 *          thread-group leaders only);
 *   mm     a pointer NULL in init_task followed by a non-NULL active_mm
 *          (&init_mm, or the user mm the idle task borrowed); in every task
 *          mm is NULL (kernel thread) or equals active_mm; some task has one;
 *   real_parent  points at init_task in both init and kthreadd;
 *   pgd    in two user mms, different pointers to page-aligned kernel
 *          page directories that map the kernel image as the kernel's own
 *          page table does.
 * Offsets already known (configuration) are kept and used as anchors.
 *
 * Must not guess: an offset is set only when every task agrees, and a
 * failure names the offset and why; it never writes guest memory.
 */
#include "os/linux/linux.h"

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "os/os.h"
#include "util/bytes.h"

/* How much of a task_struct to look at: i386 6.1 is ~3.5 KiB, x86-64 ~9.5. */
#define TASK_SPAN 0x3000
#define MM_SPAN 0x400
#define PID_MAX_LIMIT (4u << 20)

static uint64_t get(const uint8_t *b, size_t off, unsigned n)
{
    return util_le(b + off, n);
}

static bool printable_comm(const char *c)
{
    size_t n = 0;
    while (n < LX_COMM_LEN && c[n]) {
        if ((unsigned char)c[n] < 0x20 || (unsigned char)c[n] > 0x7e)
            return false;
        n++;
    }
    return n > 0 && n < LX_COMM_LEN;
}

/* Read as much of [va, va+len) as is readable, page by page; returns the
 * number of leading bytes read. */
static size_t read_span(vmi_instance_t vmi, const lx_state_t *st, addr_t va, uint8_t *buf,
                        size_t len)
{
    size_t done = 0;
    while (done < len) {
        size_t n = 0x1000 - ((va + done) & 0xfff);
        if (n > len - done)
            n = len - done;
        if (lx_read(vmi, st, va + done, buf + done, n) != VMI_SUCCESS)
            break;
        done += n;
    }
    return done;
}

typedef struct ring {
    addr_t *task;
    size_t n;
} ring_t;

/* The ring at offset t from init_task, as task addresses (init_task first),
 * if every member has a printable comm at c. */
static bool collect_ring(vmi_instance_t vmi, const lx_state_t *st, uint64_t t, uint64_t c,
                         ring_t *r)
{
    os_walk_t w;
    addr_t next;
    int rc;
    size_t cap = 256;
    r->task = malloc(cap * sizeof(addr_t));
    r->n = 0;
    if (!r->task)
        return false;
    r->task[r->n++] = st->init_task;
    lx_walk_init(&w, st, st->init_task + t, 65536, "candidate task ring");
    while ((rc = os_walk_next(vmi, &w, &next)) == 1) {
        char comm[LX_COMM_LEN];
        addr_t task = next - t;
        if (lx_read(vmi, st, task + c, comm, sizeof(comm)) != VMI_SUCCESS ||
            !printable_comm(comm)) {
            rc = -1;
            break;
        }
        if (r->n == cap) {
            cap *= 2;
            addr_t *n2 = realloc(r->task, cap * sizeof(addr_t));
            if (!n2) {
                rc = -1;
                break;
            }
            r->task = n2;
        }
        r->task[r->n++] = task;
    }
    os_walk_done(&w);
    if (rc != 0 || r->n < 3) {
        free(r->task);
        r->task = NULL;
        r->n = 0;
        return false;
    }
    return true;
}

static status_t find_comm(vmi_instance_t vmi, lx_state_t *st, const uint8_t *b, size_t len)
{
    for (size_t p = 0; p + LX_COMM_LEN <= len; p += 4) {
        if (memcmp(b + p, "swapper", 7) != 0)
            continue;
        const char *c = (const char *)b + p;
        if (strnlen(c, LX_COMM_LEN) < LX_COMM_LEN && (c[7] == '\0' || c[7] == '/')) {
            st->off[LX_OFF_NAME] = p;
            st->off_src[LX_OFF_NAME] = LX_SRC_HEURISTIC;
            return VMI_SUCCESS;
        }
    }
    core_error(vmi, "no \"swapper\" comm in the first 0x%zx bytes of init_task 0x%llx", len,
               (unsigned long long)st->init_task);
    return VMI_FAILURE;
}

static status_t find_tasks(vmi_instance_t vmi, lx_state_t *st, const uint8_t *b, size_t len,
                           ring_t *best)
{
    unsigned w = st->width;
    best->task = NULL;
    best->n = 0;
    uint64_t best_off = 0;
    for (size_t t = 0; t + 2 * w <= len; t += w) {
        if (st->off_src[LX_OFF_TASKS] != LX_SRC_NONE && t != st->off[LX_OFF_TASKS])
            continue;
        addr_t next = get(b, t, w), self = st->init_task + t, back;
        if (next == self || !lx_is_kernel_va(st, next) || !lx_is_kernel_va(st, get(b, t + w, w)))
            continue;
        if (lx_read_ptr(vmi, st, next + w, &back) != VMI_SUCCESS || back != self)
            continue;
        ring_t r;
        if (!collect_ring(vmi, st, t, st->off[LX_OFF_NAME], &r))
            continue;
        if (r.n > best->n) {
            free(best->task);
            *best = r;
            best_off = t;
        } else {
            free(r.task);
        }
    }
    if (!best->n) {
        core_error(vmi, "no list_head in init_task 0x%llx links a ring of tasks with a "
                        "comm at +0x%llx", (unsigned long long)st->init_task,
                   (unsigned long long)st->off[LX_OFF_NAME]);
        return VMI_FAILURE;
    }
    if (st->off_src[LX_OFF_TASKS] == LX_SRC_NONE) {
        st->off[LX_OFF_TASKS] = best_off;
        st->off_src[LX_OFF_TASKS] = LX_SRC_HEURISTIC;
    }
    return VMI_SUCCESS;
}

/* The first `span` bytes of every task of the ring, read once. */
static uint8_t *read_tasks(vmi_instance_t vmi, const lx_state_t *st, const ring_t *r,
                           size_t span)
{
    uint8_t *all = malloc(r->n * span);
    if (!all)
        return NULL;
    for (size_t i = 0; i < r->n; i++)
        if (read_span(vmi, st, r->task[i], all + i * span, span) < span)
            memset(all + i * span, 0xff, span); /* unreadable: fails every check */
    return all;
}

static bool find_pid(lx_state_t *st, const uint8_t *all, size_t n, size_t span)
{
    for (size_t p = 0; p + 8 <= span; p += 4) {
        if (get(all, p, 4) != 0 || get(all + span, p, 4) != 1 || get(all + 2 * span, p, 4) != 2)
            continue;
        bool ok = true;
        for (size_t i = 0; i < n && ok; i++) {
            uint64_t v = get(all + i * span, p, 4);
            /* tgid follows pid, and the ring holds thread-group leaders
             * only, whose tgid is their pid.  This rules out other counters
             * that start 0, 1, 2 in fork order (6.12+'s sched_ext tid). */
            ok = (i == 0 || (v > 0 && v < PID_MAX_LIMIT)) && get(all + i * span, p + 4, 4) == v;
            /* Distinct: the ring is in fork order, mostly ascending; a
             * repeated value betrays a field that is not the pid. */
            for (size_t j = 1; j < i && ok; j++)
                ok = get(all + j * span, p, 4) != v;
        }
        if (ok) {
            st->off[LX_OFF_PID] = p;
            st->off_src[LX_OFF_PID] = LX_SRC_HEURISTIC;
            if (st->off_src[LX_OFF_TGID] == LX_SRC_NONE) {
                st->off[LX_OFF_TGID] = p + 4;
                st->off_src[LX_OFF_TGID] = LX_SRC_HEURISTIC;
            }
            return true;
        }
    }
    return false;
}

static bool find_mm(lx_state_t *st, const uint8_t *all, size_t n, size_t span)
{
    unsigned w = st->width;
    for (size_t m = 0; m + 2 * w <= span; m += w) {
        if (get(all, m, w) != 0 || !lx_is_kernel_va(st, get(all, m + w, w)))
            continue;
        bool ok = true, some = false;
        for (size_t i = 1; i < n && ok; i++) {
            uint64_t mm = get(all + i * span, m, w), active = get(all + i * span, m + w, w);
            if (mm) {
                ok = mm == active && lx_is_kernel_va(st, mm);
                some = true;
            }
        }
        if (ok && some) {
            st->off[LX_OFF_MM] = m;
            st->off_src[LX_OFF_MM] = LX_SRC_HEURISTIC;
            return true;
        }
    }
    return false;
}

static void find_parent(lx_state_t *st, const uint8_t *all, size_t span)
{
    unsigned w = st->width;
    if (st->off_src[LX_OFF_PARENT] != LX_SRC_NONE)
        return;
    for (size_t p = 0; p + w <= span; p += w) {
        if (get(all + span, p, w) == st->init_task && get(all + 2 * span, p, w) == st->init_task &&
            get(all, p, w) == st->init_task) {
            /* init_task is its own parent too (INIT_TASK sets real_parent
             * to itself). */
            st->off[LX_OFF_PARENT] = p;
            st->off_src[LX_OFF_PARENT] = LX_SRC_HEURISTIC;
            return;
        }
    }
}

/* Does the page directory at kernel va pgd_va map the kernel image like the
 * kernel's own table?  Returns its physical address through *pa. */
static bool pgd_ok(vmi_instance_t vmi, const lx_state_t *st, addr_t pgd_va, addr_t *pa)
{
    addr_t p, text, a, b;
    addr_t align = st->mode == ARCH_X86_PAE ? 0x1f : 0xfff;
    if (!lx_is_kernel_va(st, pgd_va) || (pgd_va & align))
        return false;
    if (lx_kv2p(vmi, st, pgd_va, &p) != VMI_SUCCESS)
        return false;
    if (!lx_sym(st, "_text", &text) && !lx_sym(st, "_stext", &text))
        text = st->init_task & ~(addr_t)0xfff;
    if (vmi_pagetable_lookup(vmi, p, text, &a) != VMI_SUCCESS)
        return false;
    if (lx_kv2p(vmi, st, text, &b) != VMI_SUCCESS || a != b)
        return false;
    *pa = p;
    return true;
}

/* The idle task borrows the last user mm (lazy TLB), so init_task's
 * active_mm is usually not init_mm: two different user mms are compared
 * instead, each of which has its own page directory mapping the kernel. */
static bool find_pgd(vmi_instance_t vmi, lx_state_t *st, const uint8_t *all, size_t n,
                     size_t span)
{
    unsigned w = st->width;
    addr_t mms[2] = { 0, 0 };
    size_t k = 0;
    for (size_t i = 1; i < n && k < 2; i++) {
        addr_t mm = get(all + i * span, st->off[LX_OFF_MM], w);
        if (mm && (k == 0 || mm != mms[0]))
            mms[k++] = mm;
    }
    uint8_t a[MM_SPAN], b[MM_SPAN];
    if (k == 0 || read_span(vmi, st, mms[0], a, MM_SPAN) < MM_SPAN)
        return false;
    if (k == 2 && read_span(vmi, st, mms[1], b, MM_SPAN) < MM_SPAN)
        return false;
    for (size_t g = 0; g + w <= MM_SPAN; g += w) {
        addr_t pa0, pa1;
        if (!pgd_ok(vmi, st, get(a, g, w), &pa0))
            continue;
        if (k == 2 && (get(a, g, w) == get(b, g, w) || !pgd_ok(vmi, st, get(b, g, w), &pa1)))
            continue;
        if (k == 1 && pa0 == st->kdtb)
            continue; /* a single user mm: at least not the kernel's own */
        st->off[LX_OFF_PGD] = g;
        st->off_src[LX_OFF_PGD] = LX_SRC_HEURISTIC;
        return true;
    }
    return false;
}

status_t lx_heuristic_offsets(vmi_instance_t vmi, lx_state_t *st)
{
    if (!st->init_task) {
        core_error(vmi, "heuristics need init_task");
        return VMI_FAILURE;
    }
    uint8_t *b = malloc(TASK_SPAN);
    if (!b) {
        core_error(vmi, "out of memory");
        return VMI_FAILURE;
    }
    size_t len = read_span(vmi, st, st->init_task, b, TASK_SPAN);
    if (len < 0x400) {
        core_error_prefix(vmi, "reading init_task 0x%llx for heuristics",
                          (unsigned long long)st->init_task);
        free(b);
        return VMI_FAILURE;
    }
    if (st->off_src[LX_OFF_NAME] == LX_SRC_NONE && find_comm(vmi, st, b, len) != VMI_SUCCESS) {
        free(b);
        return VMI_FAILURE;
    }
    ring_t ring;
    if (find_tasks(vmi, st, b, len, &ring) != VMI_SUCCESS) {
        free(b);
        return VMI_FAILURE;
    }
    free(b);
    uint8_t *all = read_tasks(vmi, st, &ring, len);
    if (!all) {
        free(ring.task);
        core_error(vmi, "out of memory");
        return VMI_FAILURE;
    }
    const char *what = NULL;
    if (st->off_src[LX_OFF_PID] == LX_SRC_NONE && !find_pid(st, all, ring.n, len))
        what = "linux_pid (no field is 0, 1, 2 in the first three tasks, distinct after and "
               "followed by an equal tgid)";
    else if (st->off_src[LX_OFF_MM] == LX_SRC_NONE && !find_mm(st, all, ring.n, len))
        what = "linux_mm (no mm/active_mm pointer pair fits every task)";
    if (!what) {
        find_parent(st, all, len);
        if (st->off_src[LX_OFF_PGD] == LX_SRC_NONE && !find_pgd(vmi, st, all, ring.n, len))
            what = "linux_pgd (no mm_struct field points at a page directory that maps the "
                   "kernel)";
    }
    free(all);
    size_t n = ring.n;
    free(ring.task);
    if (what) {
        core_error(vmi, "heuristics over %zu tasks found no %s", n, what);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}
