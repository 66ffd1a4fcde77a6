/*
 * qemu_sock.h - a buffered UNIX stream socket with deadlines, the transport
 * under both of QEMU's protocols the driver speaks (QMP, qemu_qmp.c; the gdb
 * remote protocol, qemu_gdb.c).
 *
 * Every wait has a deadline, every buffer a hard size limit, and a closed or
 * failed socket is remembered: after the first failure each call fails at
 * once with the same reason ("QEMU's QMP socket /run/x.qmp closed: QEMU has
 * gone"), so a dead QEMU never hangs a caller.  Knows nothing of what the
 * bytes mean.
 */
#ifndef TINYVMI_DRIVER_QEMU_SOCK_H
#define TINYVMI_DRIVER_QEMU_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvmi/libvmi.h>
#include "util/err.h"

typedef struct qemu_sock {
    int fd;
    char *buf;           /* received, not yet consumed: buf[0..len) */
    size_t len, cap, max;
    const char *what;    /* "QMP", "gdbstub": for reasons */
    char path[108];
    bool gone;
    util_err_t why;      /* the first failure, repeated after it */
} qemu_sock_t;

/* Milliseconds of a monotonic clock. */
int64_t qemu_now_ms(void);

/* Connect to the UNIX socket at path; max bounds the receive buffer. */
status_t qemu_sock_connect(qemu_sock_t *s, const char *path, const char *what, size_t max,
                           util_err_t *err);
void qemu_sock_close(qemu_sock_t *s);
status_t qemu_sock_send(qemu_sock_t *s, const void *data, size_t len, util_err_t *err);
/* Wait until more bytes arrive (appended to buf) or deadline_ms passes:
 * 1 bytes came, 0 deadline, -1 the socket failed or closed (reason in err). */
int qemu_sock_fill(qemu_sock_t *s, int64_t deadline_ms, util_err_t *err);
/* Drop the first n buffered bytes. */
void qemu_sock_consume(qemu_sock_t *s, size_t n);
/* Is the peer still there?  Peeks without blocking (and without consuming). */
bool qemu_sock_alive(qemu_sock_t *s, util_err_t *err);

#endif
