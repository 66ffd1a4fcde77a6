/*
 * qemu_qmp.c - QMP client (see qemu_qmp.h).
 */
#include "driver/qemu_qmp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strutil.h"

/* "info mtree -f" of a guest with many devices runs to a few hundred KiB. */
#define QMP_MAX_LINE ((size_t)16 << 20)

/* The next line QEMU sent, parsed; NULL on timeout, closed socket or
 * malformed JSON (each with its reason). */
static util_json_doc_t *next_message(qemu_qmp_t *q, int64_t deadline, util_err_t *err)
{
    qemu_sock_t *s = &q->sock;
    size_t scanned = 0;

    for (;;) {
        char *nl = s->len > scanned ? memchr(s->buf + scanned, '\n', s->len - scanned) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - s->buf);
            util_json_doc_t *doc = util_json_parse(s->buf, n, NULL, err);
            qemu_sock_consume(s, n + 1);
            if (!doc)
                util_err_prefix(err, "QMP socket %s sent malformed JSON", s->path);
            return doc;
        }
        scanned = s->len;
        int r = qemu_sock_fill(s, deadline, err);
        if (r < 0)
            return NULL;
        if (r == 0) {
            util_err_set(err, "QMP socket %s: no answer within %u ms", s->path, q->timeout_ms);
            return NULL;
        }
    }
}

status_t qemu_qmp_open(qemu_qmp_t *q, const char *path, uint32_t timeout_ms, util_err_t *err)
{
    util_json_doc_t *doc;
    const util_json_t *v;
    uint64_t major = 0, minor = 0, micro = 0;

    memset(q, 0, sizeof(*q));
    q->timeout_ms = timeout_ms;
    if (qemu_sock_connect(&q->sock, path, "QMP", QMP_MAX_LINE, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    doc = next_message(q, qemu_now_ms() + timeout_ms, err);
    if (!doc) {
        util_err_prefix(err, "waiting for QEMU's QMP greeting (QEMU serves one QMP client "
                             "at a time: is another one connected?)");
        goto fail;
    }
    v = util_json_get(util_json_get(util_json_root(doc), "QMP"), "version");
    if (!v) {
        util_json_free(doc);
        util_err_set(err, "%s is not a QMP socket: its first message has no QMP greeting",
                     path);
        goto fail;
    }
    v = util_json_get(v, "qemu");
    util_json_u64(util_json_get(v, "major"), &major);
    util_json_u64(util_json_get(v, "minor"), &minor);
    util_json_u64(util_json_get(v, "micro"), &micro);
    snprintf(q->version, sizeof(q->version), "%llu.%llu.%llu", (unsigned long long)major,
             (unsigned long long)minor, (unsigned long long)micro);
    util_json_free(doc);
    if (qemu_qmp_exec(q, "qmp_capabilities", NULL, NULL, NULL, err) != VMI_SUCCESS)
        goto fail;
    return VMI_SUCCESS;
fail:
    qemu_sock_close(&q->sock);
    return VMI_FAILURE;
}

void qemu_qmp_close(qemu_qmp_t *q)
{
    qemu_sock_close(&q->sock);
}

status_t qemu_qmp_exec(qemu_qmp_t *q, const char *cmd, const char *args,
                       util_json_doc_t **out, const util_json_t **ret, util_err_t *err)
{
    size_t len = strlen(cmd) + (args ? strlen(args) : 0) + 64;
    char *msg = malloc(len);
    int64_t deadline = qemu_now_ms() + q->timeout_ms;
    status_t st;

    if (out)
        *out = NULL;
    if (ret)
        *ret = NULL;
    if (!msg) {
        util_err_set(err, "QMP %s: out of memory", cmd);
        return VMI_FAILURE;
    }
    if (args)
        snprintf(msg, len, "{\"execute\":\"%s\",\"arguments\":%s}\n", cmd, args);
    else
        snprintf(msg, len, "{\"execute\":\"%s\"}\n", cmd);
    st = qemu_sock_send(&q->sock, msg, strlen(msg), err);
    free(msg);
    if (st != VMI_SUCCESS)
        return VMI_FAILURE;
    for (;;) {
        util_json_doc_t *doc = next_message(q, deadline, err);
        const util_json_t *root, *v;
        if (!doc) {
            util_err_prefix(err, "QMP %s", cmd);
            return VMI_FAILURE;
        }
        root = util_json_root(doc);
        if ((v = util_json_get(root, "return"))) {
            if (out) {
                *out = doc;
                if (ret)
                    *ret = v;
            } else {
                util_json_free(doc);
            }
            return VMI_SUCCESS;
        }
        if ((v = util_json_get(root, "error"))) {
            const char *cls = util_json_str(util_json_get(v, "class"), NULL);
            const char *desc = util_json_str(util_json_get(v, "desc"), NULL);
            util_err_set(err, "QMP %s failed: %s (%s)", cmd, desc ? desc : "no description",
                         cls ? cls : "no class");
            util_json_free(doc);
            return VMI_FAILURE;
        }
        /* An asynchronous event (STOP, RESUME, ...): not our answer. */
        util_json_free(doc);
    }
}

status_t qemu_qmp_exec_str(qemu_qmp_t *q, const char *cmd, const char *args, char **out,
                           util_err_t *err)
{
    util_json_doc_t *doc;
    const util_json_t *ret;
    const char *s;
    size_t len;

    *out = NULL;
    if (qemu_qmp_exec(q, cmd, args, &doc, &ret, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    s = util_json_str(ret, &len);
    if (!s || strlen(s) != len) {
        util_err_set(err, "QMP %s returned %s, not a string", cmd,
                     util_json_type_name(util_json_type(ret)));
        util_json_free(doc);
        return VMI_FAILURE;
    }
    *out = util_strdup(s);
    util_json_free(doc);
    if (!*out) {
        util_err_set(err, "QMP %s: out of memory", cmd);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

bool qemu_qmp_quote(char *buf, size_t cap, const char *s)
{
    size_t n = 0;

    if (cap < 3)
        return false;
    buf[n++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (n + 8 >= cap)
            return false;
        if (*p == '"' || *p == '\\') {
            buf[n++] = '\\';
            buf[n++] = (char)*p;
        } else if (*p < 0x20 || *p == 0x7f) {
            n += (size_t)snprintf(buf + n, cap - n, "\\u%04x", *p);
        } else {
            buf[n++] = (char)*p;
        }
    }
    buf[n++] = '"';
    buf[n] = '\0';
    return true;
}

status_t qemu_qmp_hmp(qemu_qmp_t *q, const char *line, char **out, util_err_t *err)
{
    size_t cap = strlen(line) * 6 + 64;
    char *quoted = malloc(cap), *args = malloc(cap + 32);
    status_t st = VMI_FAILURE;

    *out = NULL;
    if (!quoted || !args) {
        util_err_set(err, "QMP: out of memory");
    } else if (qemu_qmp_quote(quoted, cap, line)) {
        snprintf(args, cap + 32, "{\"command-line\":%s}", quoted);
        st = qemu_qmp_exec_str(q, "human-monitor-command", args, out, err);
        if (st != VMI_SUCCESS)
            util_err_prefix(err, "HMP \"%s\"", line);
    }
    free(quoted);
    free(args);
    return st;
}
