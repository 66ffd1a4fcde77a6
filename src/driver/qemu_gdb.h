/*
 * qemu_gdb.h - a client for the gdb remote serial protocol as QEMU's gdbstub
 * speaks it: packets with checksums and acknowledgements, stop replies,
 * the register description (target.xml), registers, breakpoints,
 * watchpoints, single steps and physical-memory writes.
 *
 * The stub is hostile input like any guest data: every packet is bounded
 * (QEMU advertises 4096 bytes; more is refused), checksums are verified,
 * escapes and run-length encoding are decoded with bounds, hex is parsed
 * strictly, and a reply of the wrong shape fails with a reason quoting it.
 * Facts of QEMU 7.2 this client is built around (measured): connecting
 * stops the VM and sends T02 if it was running; there is no
 * QStartNoAckMode; registers read empty until target.xml was read; any byte
 * sent while the VM runs stops it (so commands are only sent while it is
 * stopped, and a stop reply where an answer was expected means someone
 * else resumed the VM: the command is sent again); 'c' with a breakpoint at
 * the current PC stops again at once; a dropped connection leaves the VM
 * stopped, 'D' resumes it.  Multiprocess thread ids ("p1.2") are always
 * negotiated, because QEMU keeps that mode once any client asked for it.
 *
 * Knows nothing of LibVMI's registers, events or memory layout (qemu.c).
 */
#ifndef TINYVMI_DRIVER_QEMU_GDB_H
#define TINYVMI_DRIVER_QEMU_GDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvmi/libvmi.h>
#include "driver/qemu_sock.h"
#include "util/err.h"

#define QEMU_GDB_MAX_PACKET 4096u  /* what QEMU 7.2 advertises (PacketSize=1000) */
#define QEMU_GDB_MAX_REGS 160u
#define QEMU_GDB_MAX_THREADS 256u

/* One register of the stub's description. */
typedef struct qemu_gdb_reg {
    char name[16];
    uint32_t num;       /* gdb register number */
    uint32_t size;      /* bytes */
    uint32_t offset;    /* in a 'g' reply, in bytes */
} qemu_gdb_reg_t;

/* What a stop reply says. */
typedef struct qemu_gdb_stop {
    uint8_t signal;       /* 5 SIGTRAP (breakpoint, step, watchpoint), 2 SIGINT */
    uint32_t thread;      /* the stopped thread (vCPU index + 1 in QEMU); 0: not said */
    char watch;           /* 0, or 'w' write, 'r' read, 'a' access watchpoint */
    uint64_t watch_addr;  /* the data address a watchpoint saw */
    bool exited;          /* W/X: the target is gone */
} qemu_gdb_stop_t;

typedef struct qemu_gdb {
    qemu_sock_t sock;
    uint32_t timeout_ms;
    bool running;                 /* resumed, no stop reply read yet */
    bool phys_mode;               /* Qqemu.PhyMemMode:1 is on */
    uint32_t hg;                  /* thread Hg last selected (0: none) */
    qemu_gdb_reg_t regs[QEMU_GDB_MAX_REGS];
    unsigned int nregs;
    uint32_t g_bytes;             /* size of a 'g' reply per the description */
    char arch[32];                /* "i386:x86-64", "i386" */
    uint32_t threads[QEMU_GDB_MAX_THREADS];
    unsigned int nthreads;
    /* A stop reply that came while a command was being answered (someone
     * resumed the VM behind our back and our byte stopped it), for the next
     * wait_stop. */
    bool have_early_stop;
    qemu_gdb_stop_t early_stop;
    char last_sent[64];           /* for reasons */
    bool ack_pending;             /* '+' owed for the last packet received */
} qemu_gdb_t;

/* Connect to the stub at path, take the VM stopped, read the register
 * description and the thread list.  *was_running: the VM was running when
 * we connected (the stub sent T02). */
status_t qemu_gdb_open(qemu_gdb_t *g, const char *path, uint32_t timeout_ms,
                       bool *was_running, util_err_t *err);
/* Close the connection without detaching (the VM stays stopped). */
void qemu_gdb_close(qemu_gdb_t *g);

/* Send cmd while stopped and read its answer into reply[cap] (decoded,
 * NUL-terminated; *len its length, may be NULL).  An 'E' answer is
 * returned as is: the caller decides what it means. */
status_t qemu_gdb_request(qemu_gdb_t *g, const char *cmd, char *reply, size_t cap,
                          size_t *len, util_err_t *err);
/* The same, expecting "OK"; anything else fails with a reason naming what. */
status_t qemu_gdb_request_ok(qemu_gdb_t *g, const char *cmd, const char *what,
                             util_err_t *err);

/* Let the VM run: cmd is "c" or a "vCont;..." action list.  No answer is
 * read; wait_stop reads the stop reply. */
status_t qemu_gdb_resume(qemu_gdb_t *g, const char *cmd, util_err_t *err);
/* Wait for the stop reply until deadline_ms (qemu_now_ms clock): 1 stopped,
 * 0 still running at the deadline, -1 failure (the stub has gone, or a
 * malformed reply). */
int qemu_gdb_wait_stop(qemu_gdb_t *g, int64_t deadline_ms, qemu_gdb_stop_t *stop,
                       util_err_t *err);
/* Stop a running VM (Ctrl-C); the stop reply is read by wait_stop. */
status_t qemu_gdb_interrupt(qemu_gdb_t *g, util_err_t *err);
/* Remove nothing, switch physical mode off, detach: the VM runs. */
status_t qemu_gdb_detach(qemu_gdb_t *g, util_err_t *err);

/* The register named name, or NULL. */
const qemu_gdb_reg_t *qemu_gdb_reg(const qemu_gdb_t *g, const char *name);
/* All of thread's registers ('g'): raw bytes, *len of them, into buf. */
status_t qemu_gdb_read_regs(qemu_gdb_t *g, uint32_t thread, uint8_t *buf, size_t cap,
                            size_t *len, util_err_t *err);
/* One register ('p'), size bytes, little-endian into *value (size <= 8). */
status_t qemu_gdb_read_reg(qemu_gdb_t *g, uint32_t thread, const qemu_gdb_reg_t *r,
                           uint64_t *value, util_err_t *err);
/* Write one register ('P'). */
status_t qemu_gdb_write_reg(qemu_gdb_t *g, uint32_t thread, const qemu_gdb_reg_t *r,
                            uint64_t value, util_err_t *err);

/* Write all of thread's registers at once ('G'), len raw bytes as 'g'
 * gave them. */
status_t qemu_gdb_write_regs(qemu_gdb_t *g, uint32_t thread, const uint8_t *buf, size_t len,
                             util_err_t *err);

/* Insert (on) or remove a breakpoint or watchpoint: type 0 software
 * breakpoint, 2 write, 3 read, 4 access watchpoint. */
status_t qemu_gdb_point(qemu_gdb_t *g, bool on, unsigned type, uint64_t addr, uint64_t len,
                        util_err_t *err);
/* Write guest-physical memory through the stub ('M' in physical mode), so
 * that QEMU drops translated code of those bytes. */
status_t qemu_gdb_write_phys(qemu_gdb_t *g, uint64_t pa, const void *buf, size_t len,
                             util_err_t *err);

/* Parse a stop reply packet (exposed for the unit tests). */
status_t qemu_gdb_parse_stop(const char *pkt, size_t len, qemu_gdb_stop_t *out,
                             util_err_t *err);
/* Decode one packet body from raw bytes "$...#cc" at data[0..len): the
 * decoded body into out[cap] (NUL-terminated), *used the raw bytes taken.
 * 1 a packet, 0 incomplete, -1 malformed or too long (reason), -2 checksum
 * mismatch (*used still set).  Exposed for the unit tests. */
int qemu_gdb_decode(const char *data, size_t len, char *out, size_t cap, size_t *outlen,
                    size_t *used, util_err_t *err);
/* Where a register description's includes come from: the stub's
 * qXfer:features:read (qemu_gdb_open) or a test's table.  *out is malloc'd. */
typedef status_t (*qemu_gdb_fetch_fn)(void *ctx, const char *annex, char **out, size_t *len,
                                      util_err_t *err);
/* Parse a register description (target.xml), reading its includes through
 * fetch where they stand (at most 8 documents, 2 levels), into g->regs,
 * g->nregs, g->g_bytes and g->arch.  Exposed for the unit tests. */
status_t qemu_gdb_parse_xml(qemu_gdb_t *g, const char *xml, size_t len, qemu_gdb_fetch_fn fetch,
                            void *ctx, util_err_t *err);

#endif
