/*
 * qemu.h - the QEMU driver's private state, shared by its two halves:
 * qemu.c (opening, memory, registers, pause/resume: the driver table) and
 * qemu_run.c (the gdbstub: attaching, letting the VM run past breakpoints,
 * watches and event delivery).  Nothing outside src/driver/qemu*.c
 * includes this file; the core sees only driver_qemu_ops.
 *
 * The run state has one owner at a time.  Without the gdbstub, QMP's
 * stop/cont pause and resume.  Once the gdbstub is attached (the first
 * watch, register write, or write while events are on) it owns the run
 * state, because QEMU's gdbstub does not notice a QMP "cont" and any byte
 * sent to it while the VM runs stops the VM: from then on pause is a
 * Ctrl-C and resume a continue through the stub.
 */
#ifndef TINYVMI_DRIVER_QEMU_H
#define TINYVMI_DRIVER_QEMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver/driver.h"
#include "driver/pmap.h"
#include "driver/qemu_gdb.h"
#include "driver/qemu_qmp.h"

/* The most vCPUs the driver handles (the gdbstub's thread list bound). */
#define QEMU_MAX_VCPUS QEMU_GDB_MAX_THREADS
#define QEMU_STEP_RETRIES 8
/* Stops read while pausing that were events, kept for the next listen. */
#define QEMU_MAX_PENDING 8
/* Bytes of one 'g' reply. */
#define QEMU_G_BYTES 2048

/* A breakpoint or watchpoint inserted in the stub, shared by watches. */
typedef struct qemu_point {
    unsigned type;       /* 0 breakpoint, 2 write, 3 read, 4 access watchpoint */
    addr_t va;
    uint64_t len;
    unsigned refs;
} qemu_point_t;

typedef struct qemu_state {
    char *qmp_path;
    qemu_qmp_t qmp;
    uint32_t timeout_ms;

    /* Guest RAM: the backend's file, mapped shared. */
    char *ram_path;
    uint8_t *ram;
    size_t ram_size;
    bool ram_writable;
    driver_pmap_t mem;

    unsigned int nvcpus;
    bool x86_64;             /* qemu-system-x86_64 (its gdbstub has 64-bit registers) */

    /* The gdbstub, once attached. */
    bool gdb_on;
    bool started_gdbserver;  /* we ran "gdbserver" and end it at close */
    char gdb_path[108];
    qemu_gdb_t gdb;
    bool paused;             /* the caller asked the VM to stay stopped */
    bool paused_outside;     /* someone else stopped it (a T02 we did not ask for) */
    uint32_t stop_thread;    /* the thread of the last stop, 0 none */
    /* The breakpoint that vCPU stands at was delivered at this stop, so
     * continuing steps it off.  Undelivered, it is continued onto the
     * breakpoint again, which QEMU then reports: our Ctrl-C can stop a
     * vCPU that has just hit one with a plain T02, and stepping that vCPU
     * off would run the guest past an event nobody saw (at the #BP
     * handler: the guest's own handler takes our INT3 and panics). */
    bool stop_delivered;

    /* Registers from the stub, per vCPU, valid while it is stopped. */
    x86_registers_t *regs;
    bool *regs_valid;
    uint8_t (*graw)[QEMU_G_BYTES];   /* the 'g' bytes they came from */
    size_t *glen;
    /* HMP "info registers -a" text, while the VM is known not to run. */
    char *hmp_regs;

    qemu_point_t *points;
    size_t npoints, cap_points;
    bool *stepping;          /* per vCPU: SINGLESTEP watch on */
    /* Per vCPU, the 'g' bytes before its step: a step stop that finds them
     * unchanged did not run the instruction (QEMU 7.2 reports such stops
     * now and then on a loaded host: the live breakpoint test saw one in a
     * few hundred steps) and is stepped again, at most QEMU_STEP_RETRIES
     * times, rather than reported. */
    uint8_t (*step_from)[QEMU_G_BYTES];
    size_t *step_from_len;
    unsigned int *step_retry;

    qemu_gdb_stop_t pending[QEMU_MAX_PENDING];
    unsigned int npending;
} qemu_state_t;

/* ---- qemu.c ---- */
extern const driver_ops_t driver_qemu_ops;
/* The gdbstub thread of vCPU vcpu. */
uint32_t qemu_thread_of(const qemu_state_t *s, unsigned int vcpu);
/* The vCPU of gdbstub thread tid; false when unknown. */
bool qemu_vcpu_of(const qemu_state_t *s, uint32_t tid, unsigned int *vcpu);
/* Forget cached registers (the VM ran or registers were written). */
void qemu_regs_forget(qemu_state_t *s);
/* vCPU vcpu's registers through the stub ('g'), cached until it runs. */
status_t qemu_regs_stub(qemu_state_t *s, unsigned int vcpu, const x86_registers_t **out,
                        util_err_t *err);
/* Load the registers of want that the stub holds and that differ from
 * what it has, in one round trip ('P' for one, 'G' for more); the VM must
 * be stopped in the stub. */
status_t qemu_regs_load(qemu_state_t *s, unsigned int vcpu, const x86_registers_t *want,
                        util_err_t *err);

/* ---- qemu_run.c ---- */
/* Start QEMU's gdbstub (if we have not) and attach; the VM is stopped
 * afterwards and stays so until qemu_run_continue. */
status_t qemu_run_attach(qemu_state_t *s, util_err_t *err);
/* Remove every point, detach (the VM runs unless paused), end our gdbserver. */
void qemu_run_detach(qemu_state_t *s);
/* Let the VM run (stepping where asked, first stepping the stopped vCPU
 * off a breakpoint). */
status_t qemu_run_continue(qemu_state_t *s, util_err_t *err);
/* Stop the running VM through the stub; a stop that was an event is kept
 * for the next listen. */
status_t qemu_run_stop(qemu_state_t *s, util_err_t *err);
/* After a change made with the VM stopped by qemu_run_stop: let it run
 * again, unless that stop caught events.  Those wait, the VM stopped where
 * they happened, for the next listen, which delivers them and then lets it
 * run: continuing first would run the guest past them (its own #BP handler
 * would take an INT3 that was ours, and the guest panics). */
status_t qemu_run_release(qemu_state_t *s, util_err_t *err);
/* Has the target gone?  Fails with the reason once it has. */
status_t qemu_run_alive(qemu_state_t *s, util_err_t *err);

uint32_t qemu_watch_kinds(void *state);
status_t qemu_watch(void *state, const driver_watch_t *w, bool on, util_err_t *err);
status_t qemu_listen(void *state, uint32_t timeout_ms, driver_deliver_fn fn, void *ctx,
                     util_err_t *err);
int qemu_pending(void *state);

#endif
