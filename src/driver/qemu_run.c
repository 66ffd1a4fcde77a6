/*
 * qemu_run.c - the QEMU driver's debugger half: attaching QEMU's gdbstub
 * (started at run time with HMP "gdbserver"), letting the VM run, the
 * debugger watches (breakpoints at a virtual address, watchpoints on a
 * virtual range, single steps) and delivering what the stub reports.
 *
 * QEMU's gdbstub stops all vCPUs at every event ("all-stop") and reports
 * one thread.  Continuing from a breakpoint at the current PC would stop
 * there again, so that vCPU first steps one instruction (with every other
 * vCPU still stopped), then all continue.  Each step costs QEMU a flush of
 * all translated code (counted by HMP "info jit": one per step on QEMU
 * 7.2, measured), which is what bounds breakpoint events; watchpoints and
 * inserting or removing points cost no flush.
 *
 * Must not know which LibVMI event a watch serves (the events layer,
 * src/events/, decides), nor paging, symbols or OSes.
 */
#include "driver/qemu.h"

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver/regs.h"
#include "util/strutil.h"

/* How long a stray Ctrl-C stop may take to follow an event stop. */
#define RUN_STRAY_STOP_MS 20
#define RUN_MAX_POINTS 4096u
#define RUN_MAX_WATCH_LEN (1u << 20)

/* ---- Attaching ---- */

static void gdb_socket_path(qemu_state_t *s)
{
    static unsigned serial;
    /* Beside the QMP socket (QEMU could create that one, so it can create
     * this one too, even when confined as libvirt confines it). */
    if ((size_t)snprintf(s->gdb_path, sizeof(s->gdb_path), "%s.gdb%ld.%u", s->qmp_path,
                         (long)getpid(), serial) >= sizeof(s->gdb_path))
        snprintf(s->gdb_path, sizeof(s->gdb_path), "/tmp/tinyvmi-gdb-%ld-%u.sock",
                 (long)getpid(), serial);
    serial++;
}

status_t qemu_run_attach(qemu_state_t *s, util_err_t *err)
{
    char cmd[200], *out = NULL;
    bool was_running = false;

    if (s->gdb_on)
        return VMI_SUCCESS;
    gdb_socket_path(s);
    unlink(s->gdb_path);
    snprintf(cmd, sizeof(cmd), "gdbserver unix:%s,server=on,wait=off", s->gdb_path);
    if (qemu_qmp_hmp(&s->qmp, cmd, &out, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    /* QEMU 7.2 runs one gdbserver: one started earlier (-s, -gdb, or a
     * previous client) makes this one fail ("duplicate yank instance").
     * Take its place; docs/qemu.md says so. */
    if (!strstr(out, "Waiting for gdb connection") && strstr(out, "duplicate")) {
        char *none = NULL;
        free(out);
        out = NULL;
        if (qemu_qmp_hmp(&s->qmp, "gdbserver none", &none, err) != VMI_SUCCESS)
            return VMI_FAILURE;
        free(none);
        if (qemu_qmp_hmp(&s->qmp, cmd, &out, err) != VMI_SUCCESS)
            return VMI_FAILURE;
    }
    if (!strstr(out, "Waiting for gdb connection")) {
        util_err_set(err, "QEMU did not start its gdbstub (HMP \"%s\" said \"%.120s\")", cmd,
                     out);
        free(out);
        return VMI_FAILURE;
    }
    free(out);
    s->started_gdbserver = true;
    if (qemu_gdb_open(&s->gdb, s->gdb_path, s->timeout_ms, &was_running, err) != VMI_SUCCESS) {
        unlink(s->gdb_path);
        return VMI_FAILURE;
    }
    /* Nobody else can reach our stub once its name is gone. */
    unlink(s->gdb_path);
    if (s->gdb.nthreads < s->nvcpus) {
        util_err_set(err, "QEMU's gdbstub lists %u vCPU threads, QMP %u vCPUs",
                     s->gdb.nthreads, s->nvcpus);
        qemu_gdb_close(&s->gdb);
        return VMI_FAILURE;
    }
    s->gdb_on = true;
    /* A VM already stopped when we came was paused by the caller (QMP) or
     * by someone else: it stays so. */
    if (!was_running && !s->paused)
        s->paused_outside = true;
    s->stop_thread = 0;
    s->stop_delivered = false;
    qemu_regs_forget(s);
    return VMI_SUCCESS;
}

void qemu_run_detach(qemu_state_t *s)
{
    util_err_t scratch;
    qemu_gdb_stop_t stop;
    char *out = NULL;

    if (!s->gdb.sock.gone) {
        if (s->gdb.running && qemu_gdb_interrupt(&s->gdb, &scratch) == VMI_SUCCESS)
            qemu_gdb_wait_stop(&s->gdb, qemu_now_ms() + s->timeout_ms, &stop, &scratch);
        s->gdb.have_early_stop = false;
        for (size_t i = 0; !s->gdb.running && i < s->npoints; i++)
            qemu_gdb_point(&s->gdb, false, s->points[i].type, s->points[i].va,
                           s->points[i].len, &scratch);
        if (!s->gdb.running && qemu_gdb_detach(&s->gdb, &scratch) == VMI_SUCCESS &&
            (s->paused || s->paused_outside))
            qemu_qmp_exec(&s->qmp, "stop", NULL, NULL, NULL, &scratch);
    }
    qemu_gdb_close(&s->gdb);
    if (s->started_gdbserver && qemu_qmp_hmp(&s->qmp, "gdbserver none", &out, &scratch) ==
                                    VMI_SUCCESS)
        free(out);
    s->started_gdbserver = false;
    s->gdb_on = false;
    s->npoints = 0;
    s->npending = 0;
    memset(s->stepping, 0, s->nvcpus * sizeof(*s->stepping));
    qemu_regs_forget(s);
}

status_t qemu_run_alive(qemu_state_t *s, util_err_t *err)
{
    if (!qemu_sock_alive(&s->qmp.sock, err))
        return VMI_FAILURE;
    if (s->gdb_on && !qemu_sock_alive(&s->gdb.sock, err))
        return VMI_FAILURE;
    return VMI_SUCCESS;
}

/* ---- Running and stopping ---- */

static bool at_breakpoint(const qemu_state_t *s, addr_t pc)
{
    for (size_t i = 0; i < s->npoints; i++)
        if (s->points[i].type == 0 && s->points[i].va == pc)
            return true;
    return false;
}

static status_t push_pending(qemu_state_t *s, const qemu_gdb_stop_t *stop, util_err_t *err)
{
    if (s->npending >= QEMU_MAX_PENDING) {
        util_err_set(err, "more than %u QEMU events waiting to be delivered", QEMU_MAX_PENDING);
        return VMI_FAILURE;
    }
    s->pending[s->npending++] = *stop;
    return VMI_SUCCESS;
}

/* A stop that is something to deliver (not the Ctrl-C we sent). */
static bool is_event(const qemu_gdb_stop_t *stop)
{
    return stop->watch || stop->signal != 2;
}

/* Keep vCPU vcpu's 'g' bytes before it steps. */
static status_t step_snapshot(qemu_state_t *s, unsigned int vcpu, util_err_t *err)
{
    const x86_registers_t *r;
    if (qemu_regs_stub(s, vcpu, &r, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    memcpy(s->step_from[vcpu], s->graw[vcpu], s->glen[vcpu]);
    s->step_from_len[vcpu] = s->glen[vcpu];
    return VMI_SUCCESS;
}

/* After a step stop: did vcpu run nothing (every register as before)?  A
 * REP iteration or any executed instruction changes at least RIP or a
 * count register; only `jmp .` changes nothing, and it is stepped again
 * at most QEMU_STEP_RETRIES times. */
static bool step_did_nothing(qemu_state_t *s, unsigned int vcpu, util_err_t *err)
{
    const x86_registers_t *r;
    if (!s->step_from_len[vcpu] || qemu_regs_stub(s, vcpu, &r, err) != VMI_SUCCESS)
        return false;
    return s->glen[vcpu] == s->step_from_len[vcpu] &&
           memcmp(s->graw[vcpu], s->step_from[vcpu], s->glen[vcpu]) == 0;
}

/* Does the vCPU of this stop stand on one of our breakpoints? */
static bool stopped_on_breakpoint(qemu_state_t *s, const qemu_gdb_stop_t *stop)
{
    const x86_registers_t *r;
    unsigned int vcpu = 0;
    util_err_t scratch;

    if (!s->npoints || (stop->thread && !qemu_vcpu_of(s, stop->thread, &vcpu)))
        return false;
    return qemu_regs_stub(s, vcpu, &r, &scratch) == VMI_SUCCESS && at_breakpoint(s, r->rip);
}

status_t qemu_run_stop(qemu_state_t *s, util_err_t *err)
{
    qemu_gdb_stop_t stop, stray;
    int r;

    if (!s->gdb.running)
        return VMI_SUCCESS;
    if (qemu_gdb_interrupt(&s->gdb, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    r = qemu_gdb_wait_stop(&s->gdb, qemu_now_ms() + s->timeout_ms, &stop, err);
    if (r == 0)
        util_err_set(err, "QEMU's gdbstub did not stop the VM within %u ms", s->timeout_ms);
    if (r <= 0)
        return VMI_FAILURE;
    s->stop_thread = stop.thread;
    s->stop_delivered = false;
    qemu_regs_forget(s);
    if (!is_event(&stop)) {
        /* Our Ctrl-C can meet a vCPU that has just hit a breakpoint: QEMU,
         * already stopping, then says T02 and the hit would be lost.  A
         * vCPU stands on a breakpoint's address only before running it,
         * so a breakpoint event is due there either way: keep it. */
        if (!stopped_on_breakpoint(s, &stop))
            return VMI_SUCCESS;
        stop.signal = 5;
        return push_pending(s, &stop, err);
    }
    /* An event beat our Ctrl-C: keep it.  The Ctrl-C may yet produce a
     * stop reply of its own; take it now so it is not mistaken later. */
    s->gdb.running = true;
    r = qemu_gdb_wait_stop(&s->gdb, qemu_now_ms() + RUN_STRAY_STOP_MS, &stray, err);
    s->gdb.running = false;
    if (r < 0)
        return VMI_FAILURE;
    if (r == 1 && is_event(&stray) && push_pending(s, &stray, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    return push_pending(s, &stop, err);
}

static size_t vcont_thread(char *buf, size_t cap, size_t n, char action, uint32_t tid)
{
    if (n < cap)
        n += (size_t)snprintf(buf + n, cap - n, ";%c:p1.%" PRIx32, action, tid);
    return n;
}

status_t qemu_run_continue(qemu_state_t *s, util_err_t *err)
{
    char cmd[64 + QEMU_MAX_VCPUS * 16];
    size_t n;
    unsigned int steppers = 0, vcpu;
    const x86_registers_t *r;

    if (!s->gdb_on || s->gdb.running)
        return VMI_SUCCESS;
    for (unsigned int i = 0; i < s->nvcpus; i++)
        steppers += s->stepping[i];
    /* Off a breakpoint first, once its event was delivered: step the vCPU
     * that stopped on it alone. */
    if (!steppers && s->stop_thread && s->stop_delivered &&
        qemu_vcpu_of(s, s->stop_thread, &vcpu) &&
        qemu_regs_stub(s, vcpu, &r, err) == VMI_SUCCESS && at_breakpoint(s, r->rip)) {
        qemu_gdb_stop_t stop;
        int rc;
        uint32_t tid = s->stop_thread;
        unsigned int tries = 0;
        if (step_snapshot(s, vcpu, err) != VMI_SUCCESS)
            return VMI_FAILURE;
        n = (size_t)snprintf(cmd, sizeof(cmd), "vCont");
        vcont_thread(cmd, sizeof(cmd), n, 's', tid);
        do {
            if (qemu_gdb_resume(&s->gdb, cmd, err) != VMI_SUCCESS)
                return VMI_FAILURE;
            rc = qemu_gdb_wait_stop(&s->gdb, qemu_now_ms() + s->timeout_ms, &stop, err);
            if (rc == 0)
                util_err_set(err, "QEMU's gdbstub did not finish a step within %u ms",
                             s->timeout_ms);
            if (rc <= 0)
                return VMI_FAILURE;
            qemu_regs_forget(s);
            /* A step that ran nothing would leave the vCPU on the
             * breakpoint, and the continue below would report it again. */
        } while (stop.signal == 5 && !stop.watch && stop.thread == tid &&
                 ++tries <= QEMU_STEP_RETRIES && step_did_nothing(s, vcpu, err));
        s->step_from_len[vcpu] = 0;
        s->stop_thread = stop.thread;
        s->stop_delivered = false;
        /* The stepped instruction hit a watchpoint: deliver that first. */
        if (stop.watch)
            return push_pending(s, &stop, err);
        if (stop.signal != 5)
            return push_pending(s, &stop, err);
    }
    n = (size_t)snprintf(cmd, sizeof(cmd), steppers ? "vCont" : "c");
    for (unsigned int i = 0; steppers && i < s->nvcpus; i++)
        if (s->stepping[i]) {
            if (step_snapshot(s, i, err) != VMI_SUCCESS)
                return VMI_FAILURE;
            n = vcont_thread(cmd, sizeof(cmd), n, 's', qemu_thread_of(s, i));
        }
    if (steppers && steppers < s->nvcpus && n + 3 < sizeof(cmd))
        strcat(cmd, ";c");
    qemu_regs_forget(s);
    s->stop_thread = 0;
    s->stop_delivered = false;
    return qemu_gdb_resume(&s->gdb, cmd, err);
}

/* Stop the VM for a change to points or steps; *resume says whether to let
 * it run again afterwards (leave_stopped). */
static status_t enter_stopped(qemu_state_t *s, bool *resume, util_err_t *err)
{
    if (!s->gdb_on) {
        if (qemu_run_attach(s, err) != VMI_SUCCESS)
            return VMI_FAILURE;
        *resume = !s->paused && !s->paused_outside;
        return VMI_SUCCESS;
    }
    *resume = s->gdb.running;
    return qemu_run_stop(s, err);
}

status_t qemu_run_release(qemu_state_t *s, util_err_t *err)
{
    if (s->npending)
        return VMI_SUCCESS;
    return qemu_run_continue(s, err);
}

static status_t leave_stopped(qemu_state_t *s, bool resume, util_err_t *err)
{
    return resume ? qemu_run_release(s, err) : VMI_SUCCESS;
}

/* ---- Watches ---- */

uint32_t qemu_watch_kinds(void *state)
{
    (void)state;
    return DRIVER_WATCH_BIT(DRIVER_WATCH_BREAKPOINT) | DRIVER_WATCH_BIT(DRIVER_WATCH_WATCHPOINT) |
           DRIVER_WATCH_BIT(DRIVER_WATCH_SINGLESTEP);
}

static qemu_point_t *find_point(qemu_state_t *s, unsigned type, addr_t va, uint64_t len)
{
    for (size_t i = 0; i < s->npoints; i++)
        if (s->points[i].type == type && s->points[i].va == va && s->points[i].len == len)
            return &s->points[i];
    return NULL;
}

static status_t point(qemu_state_t *s, unsigned type, addr_t va, uint64_t len, bool on,
                      util_err_t *err)
{
    qemu_point_t *p = find_point(s, type, va, len);
    bool resume = false;
    status_t st;

    if (on && p) {
        p->refs++;
        return VMI_SUCCESS;
    }
    if (!on && !p) {
        util_err_set(err, "no %s at 0x%" PRIx64 " is set in QEMU",
                     type ? "watchpoint" : "breakpoint", va);
        return VMI_FAILURE;
    }
    if (!on && p->refs > 1) {
        p->refs--;
        return VMI_SUCCESS;
    }
    if (on && s->npoints >= RUN_MAX_POINTS) {
        util_err_set(err, "more than %u breakpoints and watchpoints in QEMU", RUN_MAX_POINTS);
        return VMI_FAILURE;
    }
    if (on && s->npoints == s->cap_points) {
        size_t cap = s->cap_points ? s->cap_points * 2 : 16;
        qemu_point_t *n = realloc(s->points, cap * sizeof(*n));
        if (!n) {
            util_err_set(err, "out of memory for breakpoints");
            return VMI_FAILURE;
        }
        s->points = n;
        s->cap_points = cap;
    }
    if (enter_stopped(s, &resume, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    st = qemu_gdb_point(&s->gdb, on, type, va, len, err);
    if (st == VMI_SUCCESS) {
        if (on) {
            s->points[s->npoints++] = (qemu_point_t){ type, va, len, 1 };
        } else {
            *p = s->points[--s->npoints];
        }
    }
    if (leave_stopped(s, resume, st == VMI_SUCCESS ? err : NULL) != VMI_SUCCESS)
        return VMI_FAILURE;
    return st;
}

static status_t step(qemu_state_t *s, uint32_t vcpu, bool on, util_err_t *err)
{
    bool resume = false;

    if (vcpu >= s->nvcpus) {
        util_err_set(err, "QEMU has no vCPU %" PRIu32 " (it has %u)", vcpu, s->nvcpus);
        return VMI_FAILURE;
    }
    if (!on && !s->stepping[vcpu]) {
        util_err_set(err, "vCPU %" PRIu32 " is not single-stepping", vcpu);
        return VMI_FAILURE;
    }
    if (on == s->stepping[vcpu])
        return VMI_SUCCESS;
    /* Steps take effect at the next continue: stop the VM so there is one. */
    if (enter_stopped(s, &resume, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    s->stepping[vcpu] = on;
    return leave_stopped(s, resume, err);
}

status_t qemu_watch(void *state, const driver_watch_t *w, bool on, util_err_t *err)
{
    qemu_state_t *s = state;
    unsigned type;

    if (qemu_run_alive(s, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    switch (w->kind) {
    case DRIVER_WATCH_BREAKPOINT:
        return point(s, 0, w->va, 1, on, err);
    case DRIVER_WATCH_WATCHPOINT:
        if (w->access & VMI_MEMACCESS_X) {
            util_err_set(err, "QEMU's watchpoints see reads and writes, not execution "
                              "(use a breakpoint)");
            return VMI_FAILURE;
        }
        if ((w->access & VMI_MEMACCESS_RW) == VMI_MEMACCESS_RW)
            type = 4;
        else if (w->access & VMI_MEMACCESS_W)
            type = 2;
        else if (w->access & VMI_MEMACCESS_R)
            type = 3;
        else {
            util_err_set(err, "a watchpoint needs read or write access bits (got 0x%x)",
                         w->access);
            return VMI_FAILURE;
        }
        if (w->len == 0 || w->len > RUN_MAX_WATCH_LEN || w->va + w->len < w->va) {
            util_err_set(err, "watchpoint of %" PRIu64 " bytes at 0x%" PRIx64 ": length must "
                              "be 1..%u", w->len, w->va, RUN_MAX_WATCH_LEN);
            return VMI_FAILURE;
        }
        return point(s, type, w->va, w->len, on, err);
    case DRIVER_WATCH_SINGLESTEP:
        return step(s, w->vcpu, on, err);
    default:
        util_err_set(err, "QEMU's gdbstub offers breakpoints, watchpoints and single steps, "
                          "not watch kind %d", (int)w->kind);
        return VMI_FAILURE;
    }
}

int qemu_pending(void *state)
{
    return (int)((qemu_state_t *)state)->npending;
}

/* ---- Delivering ---- */

/* Sleep until deadline while nothing can happen (paused, or no stub),
 * noticing a QEMU that goes away. */
static status_t idle_until(qemu_state_t *s, int64_t deadline, util_err_t *err)
{
    for (;;) {
        int64_t left = deadline - qemu_now_ms();
        struct pollfd p = { s->qmp.sock.fd, POLLIN, 0 };
        if (qemu_run_alive(s, err) != VMI_SUCCESS)
            return VMI_FAILURE;
        if (left <= 0)
            return VMI_SUCCESS;
        /* QMP events (STOP, RESUME) wake us; they are read and skipped by
         * the next command, so only a short nap. */
        if (poll(&p, 1, left > 50 ? 50 : (int)left) > 0)
            usleep(left > 50 ? 50000 : (useconds_t)left * 1000);
    }
}

static status_t deliver(qemu_state_t *s, driver_watch_kind_t kind, unsigned int vcpu,
                        const qemu_gdb_stop_t *stop, driver_deliver_fn fn, void *ctx,
                        util_err_t *err)
{
    driver_event_t ev;
    driver_reply_t reply;
    const x86_registers_t *regs;

    if (qemu_regs_stub(s, vcpu, &regs, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    memset(&ev, 0, sizeof(ev));
    memset(&reply, 0, sizeof(reply));
    ev.kind = kind;
    ev.vcpu = vcpu;
    ev.regs = regs;
    if (kind == DRIVER_WATCH_WATCHPOINT) {
        ev.watch.gla = regs->rip;
        ev.watch.va = stop->watch_addr;
        ev.watch.access = stop->watch == 'w' ? VMI_MEMACCESS_W
                        : stop->watch == 'r' ? VMI_MEMACCESS_R : VMI_MEMACCESS_RW;
    } else {
        ev.step.gla = regs->rip;
    }
    fn(ctx, &ev, &reply);
    if (reply.flags & VMI_EVENT_RESPONSE_SET_REGISTERS) {
        if (!reply.regs) {
            util_err_set(err, "SET_REGISTERS without registers");
            return VMI_FAILURE;
        }
        return qemu_regs_load(s, vcpu, reply.regs, err);
    }
    if (reply.flags & ~(event_response_t)(VMI_EVENT_RESPONSE_SET_REGISTERS |
                                          VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP)) {
        util_err_set(err, "QEMU cannot apply response flags 0x%x (it can set registers "
                          "and toggle single-stepping)", reply.flags);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

/* What one stop means, delivered; the VM stays stopped. */
static status_t handle_stop(qemu_state_t *s, const qemu_gdb_stop_t *stop, driver_deliver_fn fn,
                            void *ctx, util_err_t *err)
{
    unsigned int vcpu = 0;
    const x86_registers_t *regs;
    status_t st = VMI_SUCCESS;
    bool any = false;

    s->stop_thread = stop->thread;
    s->stop_delivered = false;
    if (stop->thread && !qemu_vcpu_of(s, stop->thread, &vcpu)) {
        util_err_set(err, "QEMU's gdbstub stopped on thread %" PRIu32 ", no vCPU of ours",
                     stop->thread);
        return VMI_FAILURE;
    }
    if (!stop->thread && s->gdb.nthreads)
        s->stop_thread = s->gdb.threads[0];
    if (stop->watch) {
        any = true;
        st = deliver(s, DRIVER_WATCH_WATCHPOINT, vcpu, stop, fn, ctx, err);
    }
    if (st == VMI_SUCCESS && stop->signal == 5 && !stop->watch && s->stepping[vcpu] &&
        s->step_retry[vcpu] < QEMU_STEP_RETRIES && step_did_nothing(s, vcpu, err)) {
        /* The step ran nothing: step again (the caller's continue does),
         * report nothing. */
        s->step_retry[vcpu]++;
        return VMI_SUCCESS;
    }
    if (st == VMI_SUCCESS && stop->signal == 5 && s->stepping[vcpu]) {
        any = true;
        s->step_retry[vcpu] = 0;
        s->step_from_len[vcpu] = 0;
        st = deliver(s, DRIVER_WATCH_SINGLESTEP, vcpu, stop, fn, ctx, err);
    }
    if (st == VMI_SUCCESS && stop->signal == 5 && !stop->watch &&
        qemu_regs_stub(s, vcpu, &regs, err) == VMI_SUCCESS && at_breakpoint(s, regs->rip)) {
        any = true;
        st = deliver(s, DRIVER_WATCH_BREAKPOINT, vcpu, stop, fn, ctx, err);
        s->stop_delivered = true;
    }
    /* A Ctrl-C nobody here sent: someone else stopped the VM (QMP "stop"
     * from libvirt, say); it stays stopped until vmi_resume_vm. */
    if (!any && stop->signal == 2)
        s->paused_outside = true;
    return st;
}

status_t qemu_listen(void *state, uint32_t timeout_ms, driver_deliver_fn fn, void *ctx,
                     util_err_t *err)
{
    qemu_state_t *s = state;
    int64_t deadline = qemu_now_ms() + timeout_ms;
    qemu_gdb_stop_t stop;
    status_t st;
    util_err_t later;

    /* With the stub attached its socket tells us at once when QEMU goes
     * (waiting on it fails); without, idle_until looks. */
    if (!s->gdb_on)
        return idle_until(s, deadline, err);
    if (s->gdb.sock.gone || s->qmp.sock.gone)
        return qemu_run_alive(s, err);
    if (s->npending) {
        stop = s->pending[0];
        memmove(s->pending, s->pending + 1, (s->npending - 1) * sizeof(s->pending[0]));
        s->npending--;
    } else {
        int r;
        if (s->paused || s->paused_outside)
            return idle_until(s, deadline, err);
        if (qemu_run_continue(s, err) != VMI_SUCCESS)
            return VMI_FAILURE;
        if (s->npending)
            return qemu_listen(s, 0, fn, ctx, err);
        r = qemu_gdb_wait_stop(&s->gdb, deadline, &stop, err);
        if (r == 0)
            return VMI_SUCCESS;
        if (r < 0)
            return VMI_FAILURE;
    }
    qemu_regs_forget(s);
    st = handle_stop(s, &stop, fn, ctx, err);
    /* Whatever the callbacks' replies did, the VM goes on unless paused. */
    if (!s->paused && !s->paused_outside && !s->npending &&
        qemu_run_continue(s, st == VMI_SUCCESS ? err : &later) != VMI_SUCCESS)
        return VMI_FAILURE;
    return st;
}
