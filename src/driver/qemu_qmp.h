/*
 * qemu_qmp.h - a client for QEMU's machine protocol (QMP): JSON objects, one
 * per line, over the UNIX socket the user gave QEMU with
 * `-qmp unix:PATH,server=on,wait=off`.
 *
 * The driver uses it to find the RAM file (qom-get), the memory map and the
 * gdbstub (human-monitor-command), the vCPUs (query-cpus-fast) and to pause
 * and resume.  Replies are parsed with the library's strict JSON reader;
 * asynchronous events QEMU interleaves are skipped.  QEMU serves one QMP
 * client per socket at a time, so a second client waits for the greeting
 * and fails after the timeout with that reason.  Knows nothing of RAM
 * layouts or registers.
 */
#ifndef TINYVMI_DRIVER_QEMU_QMP_H
#define TINYVMI_DRIVER_QEMU_QMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvmi/libvmi.h>
#include "driver/qemu_sock.h"
#include "util/err.h"
#include "util/json.h"

typedef struct qemu_qmp {
    qemu_sock_t sock;
    uint32_t timeout_ms;   /* per command */
    char version[32];      /* "7.2.22" from the greeting */
} qemu_qmp_t;

/* Connect, read the greeting and leave capabilities negotiation mode. */
status_t qemu_qmp_open(qemu_qmp_t *q, const char *path, uint32_t timeout_ms, util_err_t *err);
void qemu_qmp_close(qemu_qmp_t *q);

/* Run cmd with args (a JSON object text, or NULL).  On success *doc (the
 * caller frees it with util_json_free) holds the reply and *ret points at
 * its "return" value; both may be NULL when the caller wants no answer.
 * An "error" reply fails with QEMU's class and description. */
status_t qemu_qmp_exec(qemu_qmp_t *q, const char *cmd, const char *args,
                       util_json_doc_t **doc, const util_json_t **ret, util_err_t *err);
/* A command whose answer is one string ("qom-get" of a string property). */
status_t qemu_qmp_exec_str(qemu_qmp_t *q, const char *cmd, const char *args, char **out,
                           util_err_t *err);
/* A human-monitor command; *out is its text (malloc'd, the caller frees). */
status_t qemu_qmp_hmp(qemu_qmp_t *q, const char *line, char **out, util_err_t *err);

/* s as a JSON string literal (quotes included) into buf; false when it
 * does not fit. */
bool qemu_qmp_quote(char *buf, size_t cap, const char *s);

#endif
