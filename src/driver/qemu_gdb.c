/*
 * qemu_gdb.c - gdb remote protocol client for QEMU's gdbstub (see
 * qemu_gdb.h).
 */
#include "driver/qemu_gdb.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strutil.h"

/* Raw bytes buffered from the stub: one packet, escaped, plus acks. */
#define GDB_MAX_RAW (4 * QEMU_GDB_MAX_PACKET + 64)
/* How often a NAK'd or corrupt packet is tried again. */
#define GDB_RETRIES 3
/* A register description larger than this is not QEMU's. */
#define GDB_MAX_XML (256u << 10)
#define GDB_MAX_XML_DOCS 8u
/* After a stop reply where an answer was expected: how long the answer may
 * still take before the command is sent again. */
#define GDB_LATE_ANSWER_MS 200

/* ---- Packets ---- */

int qemu_gdb_decode(const char *data, size_t len, char *out, size_t cap, size_t *outlen,
                    size_t *used, util_err_t *err)
{
    size_t i = 1, n = 0;
    unsigned sum = 0;
    int hi, lo;

    if (len == 0)
        return 0;
    if (data[0] != '$') {
        util_err_set(err, "gdbstub sent 0x%02x where a packet ('$') should start",
                     (unsigned char)data[0]);
        return -1;
    }
    for (;; i++) {
        unsigned char c;
        if (i >= len)
            return 0;
        c = (unsigned char)data[i];
        if (c == '#')
            break;
        if (c == '$') {
            util_err_set(err, "gdbstub packet holds a bare '$' at byte %zu", i);
            return -1;
        }
        sum += c;
        if (c == '}') {
            /* Escape: the next byte XOR 0x20. */
            if (i + 1 >= len)
                return 0;
            c = (unsigned char)data[++i];
            sum += c;
            c ^= 0x20;
        } else if (c == '*') {
            /* Run-length: repeat the previous byte (count - 29) times. */
            unsigned reps;
            if (i + 1 >= len)
                return 0;
            c = (unsigned char)data[++i];
            sum += c;
            if (n == 0 || c < 29 + 3 || c > 126 || c == '#' || c == '$') {
                util_err_set(err, "gdbstub packet has a malformed run-length at byte %zu", i);
                return -1;
            }
            reps = c - 29u;
            if (n + reps >= cap) {
                util_err_set(err, "gdbstub packet is longer than %zu bytes; refusing it", cap - 1);
                return -1;
            }
            memset(out + n, out[n - 1], reps);
            n += reps;
            continue;
        }
        if (n + 1 >= cap) {
            util_err_set(err, "gdbstub packet is longer than %zu bytes; refusing it", cap - 1);
            return -1;
        }
        out[n++] = (char)c;
    }
    if (i + 2 >= len)
        return 0;
    hi = util_hexval(data[i + 1]);
    lo = util_hexval(data[i + 2]);
    *used = i + 3;
    out[n] = '\0';
    if (outlen)
        *outlen = n;
    if (hi < 0 || lo < 0) {
        util_err_set(err, "gdbstub packet checksum is not hex ('%c%c')", data[i + 1],
                     data[i + 2]);
        return -1;
    }
    if ((unsigned)(hi * 16 + lo) != (sum & 0xff)) {
        util_err_set(err, "gdbstub packet checksum 0x%02x does not match its bytes (0x%02x)",
                     hi * 16 + lo, sum & 0xff);
        return -2;
    }
    return 1;
}

/* The acknowledgement of the last packet received rides in front of the
 * next one sent: QEMU's system-mode stub never waits for acks, and one
 * write instead of two is a system call less per round trip. */
static status_t flush_ack(qemu_gdb_t *g, util_err_t *err)
{
    if (!g->ack_pending)
        return VMI_SUCCESS;
    g->ack_pending = false;
    return qemu_sock_send(&g->sock, "+", 1, err);
}

static status_t send_packet(qemu_gdb_t *g, const char *body, util_err_t *err)
{
    char buf[QEMU_GDB_MAX_PACKET + 8];
    size_t n = strlen(body), at = 0;
    unsigned sum = 0;

    if (n + 4 > QEMU_GDB_MAX_PACKET) {
        util_err_set(err, "gdbstub: packet of %zu bytes exceeds the stub's %u", n,
                     QEMU_GDB_MAX_PACKET);
        return VMI_FAILURE;
    }
    if (g->ack_pending) {
        buf[at++] = '+';
        g->ack_pending = false;
    }
    buf[at] = '$';
    for (size_t i = 0; i < n; i++) {
        /* Our commands are ASCII without the protocol's special bytes. */
        if (strchr("$#}*", body[i])) {
            util_err_set(err, "gdbstub: internal: command byte '%c' would need escaping",
                         body[i]);
            return VMI_FAILURE;
        }
        sum += (unsigned char)body[i];
        buf[at + i + 1] = body[i];
    }
    snprintf(buf + at + n + 1, sizeof(buf) - at - n - 1, "#%02x", sum & 0xff);
    util_strlcpy(g->last_sent, body, sizeof(g->last_sent));
    return qemu_sock_send(&g->sock, buf, at + n + 4, err);
}

/* The next packet from the stub, acknowledged, into out.  Acks ('+') are
 * skipped; a NAK ('-') sends resend (when not NULL) again.  1 packet, 0
 * deadline, -1 failure. */
static int recv_packet(qemu_gdb_t *g, char *out, size_t cap, size_t *outlen, int64_t deadline,
                       const char *resend, util_err_t *err)
{
    qemu_sock_t *s = &g->sock;
    unsigned bad = 0, naks = 0;

    for (;;) {
        size_t skip = 0, used = 0;
        int r;
        while (skip < s->len && s->buf[skip] != '$') {
            if (s->buf[skip] == '-' && resend) {
                if (++naks > GDB_RETRIES) {
                    util_err_set(err, "gdbstub refused \"%s\" %u times", g->last_sent, naks);
                    return -1;
                }
                if (send_packet(g, resend, err) != VMI_SUCCESS)
                    return -1;
            }
            skip++;
        }
        qemu_sock_consume(s, skip);
        if (s->len) {
            r = qemu_gdb_decode(s->buf, s->len, out, cap, outlen, &used, err);
            if (r == 1) {
                qemu_sock_consume(s, used);
                g->ack_pending = true;
                return 1;
            }
            if (r == -2) {
                qemu_sock_consume(s, used);
                if (++bad > GDB_RETRIES)
                    return -1;
                if (flush_ack(g, err) != VMI_SUCCESS || qemu_sock_send(s, "-", 1, err) != VMI_SUCCESS)
                    return -1;
                continue;
            }
            if (r < 0)
                return -1;
            if (s->len >= GDB_MAX_RAW) {
                util_err_set(err, "gdbstub sent more than %u bytes without ending a packet",
                             GDB_MAX_RAW);
                return -1;
            }
        }
        r = qemu_sock_fill(s, deadline, err);
        if (r <= 0)
            return r;
    }
}

/* "O<hex>": the stub's console output, never an answer ("OK" is one). */
static bool is_output(const char *p)
{
    if (p[0] != 'O' || !p[1])
        return false;
    for (const char *q = p + 1; *q; q++)
        if (util_hexval(*q) < 0)
            return false;
    return true;
}

static bool is_stop_reply(const char *p)
{
    return p[0] == 'T' || p[0] == 'S' || p[0] == 'W' || p[0] == 'X';
}

/* ---- Stop replies ---- */

/* "p1.2", "p01.02" or "2": the thread part. */
static bool parse_thread(const char *s, size_t n, uint32_t *tid)
{
    const char *dot;
    uint64_t v;
    if (n && s[0] == 'p') {
        dot = memchr(s, '.', n);
        if (!dot || !util_hex_u64(s + 1, (size_t)(dot - s - 1), &v))
            return false;
        n -= (size_t)(dot + 1 - s);
        s = dot + 1;
    }
    if (!util_hex_u64(s, n, &v) || v > UINT32_MAX)
        return false;
    *tid = (uint32_t)v;
    return true;
}

status_t qemu_gdb_parse_stop(const char *pkt, size_t len, qemu_gdb_stop_t *out,
                             util_err_t *err)
{
    uint64_t sig;

    memset(out, 0, sizeof(*out));
    if (len >= 1 && (pkt[0] == 'W' || pkt[0] == 'X')) {
        out->exited = true;
        return VMI_SUCCESS;
    }
    if (len < 3 || (pkt[0] != 'T' && pkt[0] != 'S') || !util_hex_u64(pkt + 1, 2, &sig)) {
        util_err_set(err, "gdbstub sent \"%.40s\" where a stop reply was expected", pkt);
        return VMI_FAILURE;
    }
    out->signal = (uint8_t)sig;
    /* T: "key:value;" pairs follow. */
    for (size_t i = 3; pkt[0] == 'T' && i < len;) {
        const char *k = pkt + i, *colon = memchr(k, ':', len - i), *semi;
        size_t klen, vlen;
        if (!colon)
            break;
        semi = memchr(colon, ';', len - (size_t)(colon - pkt));
        if (!semi)
            semi = pkt + len;
        klen = (size_t)(colon - k);
        vlen = (size_t)(semi - colon - 1);
        if (klen == 6 && memcmp(k, "thread", 6) == 0) {
            if (!parse_thread(colon + 1, vlen, &out->thread)) {
                util_err_set(err, "gdbstub stop reply \"%.60s\": bad thread id", pkt);
                return VMI_FAILURE;
            }
        } else if ((klen == 5 && memcmp(k, "watch", 5) == 0) ||
                   (klen == 6 && memcmp(k, "rwatch", 6) == 0) ||
                   (klen == 6 && memcmp(k, "awatch", 6) == 0)) {
            if (!util_hex_u64(colon + 1, vlen, &out->watch_addr)) {
                util_err_set(err, "gdbstub stop reply \"%.60s\": bad watchpoint address", pkt);
                return VMI_FAILURE;
            }
            out->watch = klen == 5 ? 'w' : k[0];
        }
        i = (size_t)(semi - pkt) + 1;
    }
    return VMI_SUCCESS;
}

/* ---- Commands ---- */

static status_t request(qemu_gdb_t *g, const char *cmd, char *reply, size_t cap, size_t *len,
                        bool resend_after_stop, util_err_t *err)
{
    size_t dummy;
    int64_t deadline = qemu_now_ms() + g->timeout_ms;

    if (!len)
        len = &dummy;
    if (g->running) {
        util_err_set(err, "gdbstub: internal: \"%s\" sent while the VM runs", cmd);
        return VMI_FAILURE;
    }
    if (send_packet(g, cmd, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    for (unsigned tries = 0;; tries++) {
        int r = recv_packet(g, reply, cap, len, deadline, cmd, err);
        if (r == 0)
            util_err_set(err, "gdbstub: no answer to \"%s\" within %u ms", cmd, g->timeout_ms);
        if (r <= 0) {
            util_err_prefix(err, "gdbstub \"%.24s\"", cmd);
            return VMI_FAILURE;
        }
        if (is_output(reply))
            continue;
        if (!resend_after_stop || !is_stop_reply(reply))
            return VMI_SUCCESS;
        /* Someone else resumed the VM and our first byte stopped it (the
         * command itself was dropped), or it stopped by itself just before
         * our command arrived.  Keep the stop for wait_stop; wait briefly
         * for a real answer, else send the command again. */
        if (tries >= GDB_RETRIES) {
            util_err_set(err, "gdbstub: \"%s\" keeps being answered by stop replies "
                              "(is another client resuming the VM?)", cmd);
            return VMI_FAILURE;
        }
        if (qemu_gdb_parse_stop(reply, *len, &g->early_stop, err) == VMI_SUCCESS)
            g->have_early_stop = true;
        r = recv_packet(g, reply, cap, len, qemu_now_ms() + GDB_LATE_ANSWER_MS, cmd, err);
        if (r < 0)
            return VMI_FAILURE;
        if (r == 1 && !is_stop_reply(reply))
            return VMI_SUCCESS;
        if (send_packet(g, cmd, err) != VMI_SUCCESS)
            return VMI_FAILURE;
    }
}

status_t qemu_gdb_request(qemu_gdb_t *g, const char *cmd, char *reply, size_t cap,
                          size_t *len, util_err_t *err)
{
    return request(g, cmd, reply, cap, len, true, err);
}

status_t qemu_gdb_request_ok(qemu_gdb_t *g, const char *cmd, const char *what,
                             util_err_t *err)
{
    char reply[64];
    if (qemu_gdb_request(g, cmd, reply, sizeof(reply), NULL, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (strcmp(reply, "OK") == 0)
        return VMI_SUCCESS;
    if (reply[0] == '\0')
        util_err_set(err, "gdbstub cannot %s (\"%s\" is not supported)", what, cmd);
    else
        util_err_set(err, "gdbstub cannot %s (\"%s\" answered \"%.40s\")", what, cmd, reply);
    return VMI_FAILURE;
}

status_t qemu_gdb_resume(qemu_gdb_t *g, const char *cmd, util_err_t *err)
{
    if (g->running) {
        util_err_set(err, "gdbstub: internal: resuming a VM that runs");
        return VMI_FAILURE;
    }
    if (send_packet(g, cmd, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    g->running = true;
    /* QEMU points its register thread at the vCPU that stops next. */
    g->hg = 0;
    return VMI_SUCCESS;
}

int qemu_gdb_wait_stop(qemu_gdb_t *g, int64_t deadline_ms, qemu_gdb_stop_t *stop,
                       util_err_t *err)
{
    char pkt[QEMU_GDB_MAX_PACKET];
    size_t len;

    if (g->have_early_stop) {
        *stop = g->early_stop;
        g->have_early_stop = false;
        g->running = false;
        g->hg = stop->thread;
        return 1;
    }
    for (;;) {
        int r = recv_packet(g, pkt, sizeof(pkt), &len, deadline_ms, NULL, err);
        if (r <= 0)
            return r;
        if (is_output(pkt))
            continue;
        if (qemu_gdb_parse_stop(pkt, len, stop, err) != VMI_SUCCESS)
            return -1;
        g->running = false;
        /* QEMU 7.2 selects the stopped vCPU for register packets (Hg), so
         * reading its registers needs no Hg round trip. */
        g->hg = stop->thread;
        if (stop->exited) {
            util_err_set(err, "gdbstub: the target exited (\"%.20s\")", pkt);
            return -1;
        }
        return 1;
    }
}

status_t qemu_gdb_interrupt(qemu_gdb_t *g, util_err_t *err)
{
    /* The ack first: sent after the Ctrl-C, a lone '+' would be one more
     * byte to a VM that runs again after our next continue. */
    if (flush_ack(g, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    return qemu_sock_send(&g->sock, "\x03", 1, err);
}

status_t qemu_gdb_detach(qemu_gdb_t *g, util_err_t *err)
{
    if (g->phys_mode &&
        qemu_gdb_request_ok(g, "Qqemu.PhyMemMode:0", "leave physical memory mode", err) !=
            VMI_SUCCESS)
        return VMI_FAILURE;
    g->phys_mode = false;
    if (qemu_gdb_request_ok(g, "D;1", "detach", err) != VMI_SUCCESS)
        return VMI_FAILURE;
    g->running = true;
    return VMI_SUCCESS;
}

/* ---- Registers ---- */

const qemu_gdb_reg_t *qemu_gdb_reg(const qemu_gdb_t *g, const char *name)
{
    for (unsigned int i = 0; i < g->nregs; i++)
        if (strcmp(g->regs[i].name, name) == 0)
            return &g->regs[i];
    return NULL;
}

static status_t select_thread(qemu_gdb_t *g, uint32_t thread, util_err_t *err)
{
    char cmd[32];
    if (g->hg == thread)
        return VMI_SUCCESS;
    snprintf(cmd, sizeof(cmd), "Hgp1.%" PRIx32, thread);
    if (qemu_gdb_request_ok(g, cmd, "select a vCPU", err) != VMI_SUCCESS)
        return VMI_FAILURE;
    g->hg = thread;
    return VMI_SUCCESS;
}

/* Hex pairs into bytes; 'x' (an unavailable byte) reads as 0. */
static bool unhex(const char *s, size_t n, uint8_t *out, size_t cap, size_t *got)
{
    if (n % 2 || n / 2 > cap)
        return false;
    for (size_t i = 0; i < n; i += 2) {
        int hi = s[i] == 'x' ? 0 : util_hexval(s[i]);
        int lo = s[i + 1] == 'x' ? 0 : util_hexval(s[i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i / 2] = (uint8_t)(hi * 16 + lo);
    }
    *got = n / 2;
    return true;
}

status_t qemu_gdb_read_regs(qemu_gdb_t *g, uint32_t thread, uint8_t *buf, size_t cap,
                            size_t *len, util_err_t *err)
{
    char reply[QEMU_GDB_MAX_PACKET];
    size_t n;

    if (select_thread(g, thread, err) != VMI_SUCCESS ||
        qemu_gdb_request(g, "g", reply, sizeof(reply), &n, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (n == 0 || reply[0] == 'E' || !unhex(reply, n, buf, cap, len)) {
        util_err_set(err, "gdbstub: vCPU thread %" PRIu32 ": 'g' answered \"%.20s\" "
                          "(%zu bytes), not registers", thread, reply, n);
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t qemu_gdb_read_reg(qemu_gdb_t *g, uint32_t thread, const qemu_gdb_reg_t *r,
                           uint64_t *value, util_err_t *err)
{
    char cmd[32], reply[64];
    uint8_t b[16];
    size_t n, got;

    snprintf(cmd, sizeof(cmd), "p%" PRIx32, r->num);
    if (select_thread(g, thread, err) != VMI_SUCCESS ||
        qemu_gdb_request(g, cmd, reply, sizeof(reply), &n, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (!unhex(reply, n, b, sizeof(b), &got) || got != r->size || got > 8) {
        util_err_set(err, "gdbstub: register %s answered \"%.40s\", not %u bytes", r->name,
                     reply, r->size);
        return VMI_FAILURE;
    }
    *value = 0;
    for (size_t i = got; i-- > 0;)
        *value = (*value << 8) | b[i];
    return VMI_SUCCESS;
}

status_t qemu_gdb_write_reg(qemu_gdb_t *g, uint32_t thread, const qemu_gdb_reg_t *r,
                            uint64_t value, util_err_t *err)
{
    char cmd[64], what[48];
    size_t n;

    if (r->size > 8) {
        util_err_set(err, "gdbstub: register %s is %u bytes wide; only up to 8 are written",
                     r->name, r->size);
        return VMI_FAILURE;
    }
    n = (size_t)snprintf(cmd, sizeof(cmd), "P%" PRIx32 "=", r->num);
    for (uint32_t i = 0; i < r->size; i++, value >>= 8)
        n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "%02x", (unsigned)(value & 0xff));
    snprintf(what, sizeof(what), "write register %s", r->name);
    if (select_thread(g, thread, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    return qemu_gdb_request_ok(g, cmd, what, err);
}

status_t qemu_gdb_write_regs(qemu_gdb_t *g, uint32_t thread, const uint8_t *buf, size_t len,
                             util_err_t *err)
{
    char cmd[QEMU_GDB_MAX_PACKET];
    size_t n = 1;

    if (2 * len + 8 > sizeof(cmd)) {
        util_err_set(err, "gdbstub: %zu bytes of registers do not fit one packet", len);
        return VMI_FAILURE;
    }
    cmd[0] = 'G';
    for (size_t i = 0; i < len; i++)
        n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "%02x", buf[i]);
    if (select_thread(g, thread, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    return qemu_gdb_request_ok(g, cmd, "write the registers", err);
}

/* ---- Breakpoints, watchpoints, memory ---- */

status_t qemu_gdb_point(qemu_gdb_t *g, bool on, unsigned type, uint64_t addr, uint64_t len,
                        util_err_t *err)
{
    static const char *const names[] = { "software breakpoint", "hardware breakpoint",
                                         "write watchpoint", "read watchpoint",
                                         "access watchpoint" };
    char cmd[64], what[96];

    if (type > 4) {
        util_err_set(err, "gdbstub: no point type %u", type);
        return VMI_FAILURE;
    }
    snprintf(cmd, sizeof(cmd), "%c%u,%" PRIx64 ",%" PRIx64, on ? 'Z' : 'z', type, addr, len);
    snprintf(what, sizeof(what), "%s a %s at 0x%" PRIx64 " (%" PRIu64 " bytes)",
             on ? "insert" : "remove", names[type], addr, len);
    return qemu_gdb_request_ok(g, cmd, what, err);
}

status_t qemu_gdb_write_phys(qemu_gdb_t *g, uint64_t pa, const void *buf, size_t len,
                             util_err_t *err)
{
    enum { CHUNK = 1024 };
    char cmd[64 + 2 * CHUNK];
    const uint8_t *p = buf;

    if (!g->phys_mode) {
        if (qemu_gdb_request_ok(g, "Qqemu.PhyMemMode:1", "switch to physical addresses",
                                err) != VMI_SUCCESS)
            return VMI_FAILURE;
        g->phys_mode = true;
    }
    while (len) {
        size_t n = len < CHUNK ? len : CHUNK;
        size_t k = (size_t)snprintf(cmd, sizeof(cmd), "M%" PRIx64 ",%zx:", pa, n);
        for (size_t i = 0; i < n; i++)
            k += (size_t)snprintf(cmd + k, sizeof(cmd) - k, "%02x", p[i]);
        if (qemu_gdb_request_ok(g, cmd, "write guest memory", err) != VMI_SUCCESS)
            return VMI_FAILURE;
        pa += n;
        p += n;
        len -= n;
    }
    return VMI_SUCCESS;
}

/* ---- The register description (target.xml) ---- */

typedef struct xml_ctx {
    qemu_gdb_t *g;
    qemu_gdb_fetch_fn fetch;
    void *fctx;
    unsigned int docs;
    uint32_t next_num;
} xml_ctx_t;

/* The value of attribute name inside a tag [p, end), into out; false when
 * absent or too long. */
static bool xml_attr(const char *p, const char *end, const char *name, char *out, size_t cap)
{
    size_t nlen = strlen(name);
    for (const char *q = p; q + nlen + 2 < end; q++) {
        const char *v, *close;
        char quote;
        if (memcmp(q, name, nlen) != 0 || q[nlen] != '=' || (q > p && q[-1] != ' ' &&
                                                             q[-1] != '\t' && q[-1] != '\n'))
            continue;
        quote = q[nlen + 1];
        if (quote != '"' && quote != '\'')
            return false;
        v = q + nlen + 2;
        close = memchr(v, quote, (size_t)(end - v));
        if (!close || (size_t)(close - v) >= cap)
            return false;
        memcpy(out, v, (size_t)(close - v));
        out[close - v] = '\0';
        return true;
    }
    return false;
}

static status_t xml_doc(xml_ctx_t *x, const char *xml, size_t len, unsigned depth,
                        util_err_t *err);

static status_t xml_include(xml_ctx_t *x, const char *href, unsigned depth, util_err_t *err)
{
    char *doc = NULL;
    size_t len = 0;
    status_t st;

    if (depth >= 2 || ++x->docs > GDB_MAX_XML_DOCS) {
        util_err_set(err, "gdbstub register description includes too many documents "
                          "(at %s)", href);
        return VMI_FAILURE;
    }
    for (const char *c = href; *c; c++)
        if (!(util_hexval(*c) >= 0 || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              *c == '-' || *c == '_' || *c == '.')) {
            util_err_set(err, "gdbstub register description includes \"%s\": not a plain "
                              "file name", href);
            return VMI_FAILURE;
        }
    if (!x->fetch || x->fetch(x->fctx, href, &doc, &len, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    st = xml_doc(x, doc, len, depth + 1, err);
    free(doc);
    if (st != VMI_SUCCESS)
        util_err_prefix(err, "%s", href);
    return st;
}

static status_t xml_reg(xml_ctx_t *x, const char *p, const char *end, util_err_t *err)
{
    qemu_gdb_t *g = x->g;
    char name[sizeof(g->regs[0].name)], num[16], bits[16];
    uint64_t n = x->next_num, b;
    qemu_gdb_reg_t *r;

    if (!xml_attr(p, end, "name", name, sizeof(name)) ||
        !xml_attr(p, end, "bitsize", bits, sizeof(bits)) || !util_parse_u64(bits, &b) ||
        b == 0 || b > 512 || b % 8) {
        util_err_set(err, "gdbstub register description: a <reg> without a usable name "
                          "and bitsize (\"%.60s\")", p);
        return VMI_FAILURE;
    }
    if (xml_attr(p, end, "regnum", num, sizeof(num)) &&
        (!util_parse_u64(num, &n) || n > 4096)) {
        util_err_set(err, "gdbstub register description: register %s has regnum \"%s\"",
                     name, num);
        return VMI_FAILURE;
    }
    if (g->nregs >= QEMU_GDB_MAX_REGS) {
        util_err_set(err, "gdbstub register description lists more than %u registers",
                     QEMU_GDB_MAX_REGS);
        return VMI_FAILURE;
    }
    for (unsigned i = 0; i < g->nregs; i++)
        if (g->regs[i].num == n) {
            util_err_set(err, "gdbstub register description numbers %s and %s both %" PRIu64,
                         g->regs[i].name, name, n);
            return VMI_FAILURE;
        }
    r = &g->regs[g->nregs++];
    util_strlcpy(r->name, name, sizeof(r->name));
    r->num = (uint32_t)n;
    r->size = (uint32_t)(b / 8);
    x->next_num = (uint32_t)n + 1;
    return VMI_SUCCESS;
}

static status_t xml_doc(xml_ctx_t *x, const char *xml, size_t len, unsigned depth,
                        util_err_t *err)
{
    const char *p = xml, *end = xml + len;

    if (len > GDB_MAX_XML) {
        util_err_set(err, "gdbstub register description is over %u bytes", GDB_MAX_XML);
        return VMI_FAILURE;
    }
    while ((p = memchr(p, '<', (size_t)(end - p)))) {
        const char *close;
        if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
            const char *q = p + 4;
            for (close = NULL; q + 3 <= end; q++)
                if (memcmp(q, "-->", 3) == 0) {
                    close = q;
                    break;
                }
            if (!close) {
                util_err_set(err, "gdbstub register description: unterminated comment");
                return VMI_FAILURE;
            }
            p = close + 3;
            continue;
        }
        close = memchr(p, '>', (size_t)(end - p));
        if (!close) {
            util_err_set(err, "gdbstub register description: unterminated tag");
            return VMI_FAILURE;
        }
        if (end - p > 5 && memcmp(p, "<reg", 4) == 0 && (p[4] == ' ' || p[4] == '\t' ||
                                                          p[4] == '\n')) {
            if (xml_reg(x, p, close, err) != VMI_SUCCESS)
                return VMI_FAILURE;
        } else if (end - p > 12 && memcmp(p, "<xi:include", 11) == 0) {
            char href[64];
            if (!xml_attr(p, close, "href", href, sizeof(href))) {
                util_err_set(err, "gdbstub register description: an include without href");
                return VMI_FAILURE;
            }
            if (xml_include(x, href, depth, err) != VMI_SUCCESS)
                return VMI_FAILURE;
        } else if (end - p > 14 && memcmp(p, "<architecture>", 14) == 0) {
            const char *a = p + 14, *stop = memchr(a, '<', (size_t)(end - a));
            if (stop && (size_t)(stop - a) < sizeof(x->g->arch)) {
                memcpy(x->g->arch, a, (size_t)(stop - a));
                x->g->arch[stop - a] = '\0';
            }
        }
        p = close + 1;
    }
    return VMI_SUCCESS;
}

static int reg_cmp(const void *a, const void *b)
{
    const qemu_gdb_reg_t *x = a, *y = b;
    return x->num < y->num ? -1 : x->num > y->num;
}

status_t qemu_gdb_parse_xml(qemu_gdb_t *g, const char *xml, size_t len, qemu_gdb_fetch_fn fetch,
                            void *ctx, util_err_t *err)
{
    xml_ctx_t x = { g, fetch, ctx, 1, 0 };
    uint32_t off = 0;

    g->nregs = 0;
    g->arch[0] = '\0';
    if (xml_doc(&x, xml, len, 0, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    if (g->nregs == 0) {
        util_err_set(err, "gdbstub register description names no registers");
        return VMI_FAILURE;
    }
    /* A 'g' reply holds registers 0, 1, 2, ... back to back; a gap in the
     * numbering ends what 'g' covers (the rest are read with 'p'). */
    qsort(g->regs, g->nregs, sizeof(g->regs[0]), reg_cmp);
    g->g_bytes = 0;
    for (unsigned i = 0; i < g->nregs; i++) {
        g->regs[i].offset = off;
        off += g->regs[i].size;
        if (g->regs[i].num == i)
            g->g_bytes = off;
    }
    return VMI_SUCCESS;
}

/* qXfer:features:read of annex, all chunks. */
static status_t fetch_annex(void *ctx, const char *annex, char **out, size_t *len,
                            util_err_t *err)
{
    qemu_gdb_t *g = ctx;
    char cmd[128], reply[QEMU_GDB_MAX_PACKET];
    size_t n, have = 0, cap = 0;
    char *doc = NULL;

    for (;;) {
        snprintf(cmd, sizeof(cmd), "qXfer:features:read:%s:%zx,%x", annex, have,
                 QEMU_GDB_MAX_PACKET - 32);
        if (qemu_gdb_request(g, cmd, reply, sizeof(reply), &n, err) != VMI_SUCCESS)
            goto fail;
        if (n == 0 || (reply[0] != 'm' && reply[0] != 'l')) {
            util_err_set(err, "gdbstub: reading %s answered \"%.40s\"", annex, reply);
            goto fail;
        }
        if (have + n > GDB_MAX_XML) {
            util_err_set(err, "gdbstub register description %s is over %u bytes", annex,
                         GDB_MAX_XML);
            goto fail;
        }
        if (have + n > cap) {
            char *d;
            cap = (have + n) * 2;
            if (!(d = realloc(doc, cap))) {
                util_err_set(err, "gdbstub: out of memory for %s", annex);
                goto fail;
            }
            doc = d;
        }
        memcpy(doc + have, reply + 1, n - 1);
        have += n - 1;
        if (reply[0] == 'l')
            break;
        if (n == 1) {
            util_err_set(err, "gdbstub: reading %s makes no progress", annex);
            goto fail;
        }
    }
    *out = doc;
    *len = have;
    return VMI_SUCCESS;
fail:
    free(doc);
    return VMI_FAILURE;
}

/* The thread list: "m p1.1,p1.2" ... "l". */
static status_t read_threads(qemu_gdb_t *g, util_err_t *err)
{
    char reply[QEMU_GDB_MAX_PACKET];
    size_t n;
    const char *cmd = "qfThreadInfo";

    g->nthreads = 0;
    for (unsigned rounds = 0; rounds <= QEMU_GDB_MAX_THREADS; rounds++, cmd = "qsThreadInfo") {
        if (qemu_gdb_request(g, cmd, reply, sizeof(reply), &n, err) != VMI_SUCCESS)
            return VMI_FAILURE;
        if (reply[0] == 'l')
            break;
        if (reply[0] != 'm') {
            util_err_set(err, "gdbstub: %s answered \"%.40s\"", cmd, reply);
            return VMI_FAILURE;
        }
        for (size_t i = 1; i < n;) {
            const char *comma = memchr(reply + i, ',', n - i);
            size_t k = comma ? (size_t)(comma - reply) - i : n - i;
            uint32_t tid;
            if (!parse_thread(reply + i, k, &tid)) {
                util_err_set(err, "gdbstub: bad thread id in \"%.40s\"", reply);
                return VMI_FAILURE;
            }
            if (g->nthreads >= QEMU_GDB_MAX_THREADS) {
                util_err_set(err, "gdbstub lists more than %u vCPUs", QEMU_GDB_MAX_THREADS);
                return VMI_FAILURE;
            }
            g->threads[g->nthreads++] = tid;
            i += k + 1;
        }
    }
    if (g->nthreads == 0) {
        util_err_set(err, "gdbstub lists no vCPU threads");
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

status_t qemu_gdb_open(qemu_gdb_t *g, const char *path, uint32_t timeout_ms,
                       bool *was_running, util_err_t *err)
{
    char reply[QEMU_GDB_MAX_PACKET];
    size_t n;
    char *xml = NULL;
    size_t xlen = 0;
    status_t st;
    int64_t deadline;

    memset(g, 0, sizeof(*g));
    g->timeout_ms = timeout_ms;
    *was_running = false;
    if (qemu_sock_connect(&g->sock, path, "gdbstub", GDB_MAX_RAW, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    /* A running VM stops at our connection and says so (T02) before it
     * answers anything: read that first, then the capabilities. */
    if (send_packet(g, "qSupported:multiprocess+;xmlRegisters=i386", err) != VMI_SUCCESS)
        goto fail;
    deadline = qemu_now_ms() + timeout_ms;
    for (;;) {
        int r = recv_packet(g, reply, sizeof(reply), &n, deadline, NULL, err);
        if (r == 0)
            util_err_set(err, "gdbstub %s: no answer within %u ms", path, timeout_ms);
        if (r <= 0)
            goto fail;
        if (!is_stop_reply(reply))
            break;
        *was_running = true;
    }
    if (!strstr(reply, "qXfer:features:read+")) {
        util_err_set(err, "gdbstub %s does not describe its registers (qSupported: "
                          "\"%.60s\")", path, reply);
        goto fail;
    }
    if (!strstr(reply, "multiprocess+")) {
        util_err_set(err, "gdbstub %s does not speak multiprocess thread ids", path);
        goto fail;
    }
    if (request(g, "?", reply, sizeof(reply), &n, false, err) != VMI_SUCCESS)
        goto fail;
    /* Registers read empty until the description was read (QEMU 7.2). */
    if (fetch_annex(g, "target.xml", &xml, &xlen, err) != VMI_SUCCESS)
        goto fail;
    st = qemu_gdb_parse_xml(g, xml, xlen, fetch_annex, g, err);
    free(xml);
    if (st != VMI_SUCCESS || read_threads(g, err) != VMI_SUCCESS)
        goto fail;
    return VMI_SUCCESS;
fail:
    util_err_prefix(err, "attaching to QEMU's gdbstub");
    qemu_sock_close(&g->sock);
    return VMI_FAILURE;
}

void qemu_gdb_close(qemu_gdb_t *g)
{
    util_err_t scratch;
    if (!g->sock.gone)
        flush_ack(g, &scratch);
    qemu_sock_close(&g->sock);
}
