/*
 * printk.c - the kernel log's formats, from bytes (see printk.h).
 *
 * Lockless ring buffer (5.10+, kernel/printk/printk_ringbuffer.h): the
 * header `struct printk_ringbuffer` starts with the desc ring {count_bits,
 * descs, infos, head_id, tail_id, [last_finalized_id / _seq]}; the text
 * data ring {size_bits, data, head_lpos, tail_lpos} follows.  The desc ring
 * holds 2^count_bits descriptors {state_var, text_blk_lpos {begin, next}}
 * and as many struct printk_info {seq, ts_nsec, text_len, facility,
 * flags:5 level:3, caller_id, ...}; 7.x added an execution context before
 * dev_info, so its size is taken from the data, not assumed.  A
 * descriptor's id is state_var without its top two (state) bits; ids from
 * tail_id to head_id are the live records, committed (1) or finalized (2).
 * A record's text is a block of the data ring: {unsigned long id; char
 * text[]}, found from the logical positions begin/next (index = lpos mod
 * 2^size_bits; a block that would wrap is stored from index 0 instead).
 *
 * log_buf (3.5 .. 5.9, kernel/printk/printk.c): see printk_logbuf_decode.
 *
 * It must not read past the bytes it is given, nor trust a length it has
 * not checked against them.
 */
#include "common/printk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/bytes.h"

void printk_log_free(printk_log_t *log)
{
    for (size_t i = 0; log && i < log->n; i++)
        free(log->r[i].text);
    if (log) {
        free(log->r);
        log->r = NULL;
        log->n = 0;
    }
}

static void say(char *why, size_t whylen, const char *msg)
{
    if (why && whylen)
        snprintf(why, whylen, "%s", msg);
}

static int by_seq(const void *a, const void *b)
{
    const printk_rec_t *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Append a record whose text is the tl bytes at t. */
static bool add(printk_log_t *out, size_t *cap, uint64_t seq, uint64_t ts, unsigned level,
                const uint8_t *t, size_t tl)
{
    if (out->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 256;
        printk_rec_t *r = realloc(out->r, nc * sizeof(*r));
        if (!r)
            return false;
        out->r = r;
        *cap = nc;
    }
    char *text = malloc(tl + 1);
    if (!text)
        return false;
    memcpy(text, t, tl);
    text[tl] = '\0';
    out->r[out->n++] = (printk_rec_t){ seq, ts, level, text };
    return true;
}

/* ---- the lockless ring buffer ---- */

static size_t align_up(size_t x, size_t a)
{
    return (x + a - 1) / a * a;
}

void printk_rb_default_layout(printk_rb_layout_t *l, unsigned w)
{
    w = w == 4 ? 4 : 8;
    memset(l, 0, sizeof(*l));
    l->w = w;
    l->descs = w;
    l->infos = 2 * w;
    l->head_id = 3 * w;
    l->tail_id = 4 * w;
    l->text_ring = 0; /* found from the header */
    l->size_bits = 0;
    l->data = w;
    l->desc_lpos = w;
    l->desc_size = 3 * w;
    l->info_ts = 8;
    l->info_len = 16;
    l->info_level = 19;
    /* {seq, ts_nsec, text_len, facility, flags/level, caller_id} then
     * dev_info {subsystem[16], device[48]}; u64 alignment is the pointer
     * size on x86. */
    l->info_size = align_up(24 + 64, w);
}

static bool is_kptr(unsigned w, uint64_t v)
{
    return w == 8 ? v >= 0xffff800000000000ULL : v >= 0x40000000ULL && v <= 0xffffffffULL;
}

bool printk_rb_header(printk_rb_layout_t *l, const uint8_t *hdr, size_t len, printk_rb_hdr_t *h,
                      char *why, size_t whylen)
{
    unsigned w = l->w;
    size_t need = l->tail_id + w;
    if (len < 4 || need > len) {
        say(why, whylen, "the ring buffer header is cut off");
        return false;
    }
    h->count_bits = util_le32(hdr);
    if (!l->text_ring) {
        /* 5.10: a desc ring of 5 words; 6.1+: 6 (last_finalized_id, later
         * last_finalized_seq). */
        l->text_ring = 6 * w;
        for (unsigned words = 6; words >= 5; words--) {
            if ((words + 1) * w + 4 > len)
                continue;
            uint32_t sb = util_le32(hdr + words * w);
            if (sb >= h->count_bits && sb <= h->count_bits + 10 &&
                is_kptr(w, util_le(hdr + words * w + l->data, w))) {
                l->text_ring = words * w;
                break;
            }
        }
    }
    if (l->text_ring + l->size_bits + 4 > len || l->text_ring + l->data + w > len) {
        say(why, whylen, "the ring buffer header is cut off");
        return false;
    }
    h->size_bits = util_le32(hdr + l->text_ring + l->size_bits);
    h->descs = util_le(hdr + l->descs, w);
    h->infos = util_le(hdr + l->infos, w);
    h->data = util_le(hdr + l->text_ring + l->data, w);
    h->head_id = util_le(hdr + l->head_id, w);
    h->tail_id = util_le(hdr + l->tail_id, w);
    if (h->count_bits < 2 || h->count_bits > PRINTK_MAX_COUNT_BITS ||
        h->size_bits < h->count_bits || h->size_bits > PRINTK_MAX_SIZE_BITS) {
        say(why, whylen, "the ring buffer header's sizes are implausible");
        return false;
    }
    if (!is_kptr(w, h->descs) || !is_kptr(w, h->infos) || !is_kptr(w, h->data)) {
        say(why, whylen, "the ring buffer header's pointers are not kernel addresses");
        return false;
    }
    return true;
}

static uint64_t id_mask(unsigned w)
{
    return w == 8 ? (~0ULL >> 2) : 0x3fffffffULL;
}

/* Is descriptor idx live: committed or finalized, its id in its slot? */
static bool desc_live(const printk_rb_layout_t *l, const printk_rb_hdr_t *h, const uint8_t *descs,
                      uint64_t idx, uint64_t *id)
{
    unsigned w = l->w;
    uint64_t sv = util_le(descs + idx * l->desc_size, w), state = (sv >> (8 * w - 2)) & 3;
    *id = sv & id_mask(w);
    return (state == 1 || state == 2) && (*id & ((1ULL << h->count_bits) - 1)) == idx;
}

/* Entries looked at to tell the info size. */
#define STRIDE_PROBE 64

size_t printk_rb_info_stride(const printk_rb_layout_t *l, const printk_rb_hdr_t *h,
                             const uint8_t *descs, const uint8_t *infos, size_t infos_len)
{
    uint64_t count = 1ULL << h->count_bits, mask = count - 1;
    size_t probe = count < STRIDE_PROBE ? (size_t)count : STRIDE_PROBE, align = l->w;
    size_t first = l->info_size >= 24 ? l->info_size : align_up(24, align);
    for (size_t s = first, tries = 0; s <= 512; tries++) {
        size_t checked = 0;
        bool ok = true;
        for (size_t idx = 1; idx < probe && ok; idx++) {
            uint64_t id;
            if (!desc_live(l, h, descs, idx, &id) || (idx + 1) * s > infos_len)
                continue;
            ok = (util_le64(infos + idx * s) & mask) == idx;
            checked++;
        }
        if (ok && checked)
            return s;
        /* After the expected size, every candidate from the smallest. */
        s = tries == 0 ? align_up(24, align) : s + align;
        if (s == first)
            s += align;
    }
    return 0;
}

bool printk_rb_decode(const printk_rb_layout_t *l, const printk_rb_hdr_t *h, const uint8_t *descs,
                      const uint8_t *infos, const uint8_t *text, printk_log_t *out, char *why,
                      size_t whylen)
{
    unsigned w = l->w, sb = h->size_bits;
    uint64_t count = 1ULL << h->count_bits, size = 1ULL << sb, mask = id_mask(w);
    size_t cap = 0;
    out->r = NULL;
    out->n = 0;
    /* ids run from tail to head; at most `count` of them are live. */
    uint64_t span = (h->head_id - h->tail_id) & mask;
    if (span >= count) {
        say(why, whylen, "head and tail ids are further apart than the ring holds");
        return false;
    }
    if (l->info_ts + 8 > l->info_size || l->info_len + 2 > l->info_size ||
        l->info_level >= l->info_size || l->desc_lpos + 2 * w > l->desc_size) {
        say(why, whylen, "the record layout does not fit its sizes");
        return false;
    }
    for (uint64_t k = 0; k <= span; k++) {
        uint64_t id = (h->tail_id + k) & mask, idx = id & (count - 1), got;
        if (!desc_live(l, h, descs, idx, &got) || got != id)
            continue; /* reserved, reusable or overwritten */
        const uint8_t *dp = descs + idx * l->desc_size, *ip = infos + idx * l->info_size;
        uint64_t begin = util_le(dp + l->desc_lpos, w), next = util_le(dp + l->desc_lpos + w, w);
        if (begin & 1)
            continue; /* a record without text */
        uint64_t start, len;
        if ((begin >> sb) == (next >> sb) && next > begin) {
            start = begin & (size - 1);
            len = next - begin;
        } else if (((begin + size) >> sb) == (next >> sb)) {
            start = 0;
            len = next & (size - 1);
        } else {
            continue;
        }
        uint64_t tl = util_le16(ip + l->info_len);
        if (len < w || start + len > size || tl > len - w || tl > PRINTK_RECORD_MAX)
            continue;
        if (util_le(text + start, w) != id)
            continue; /* the block was reused */
        if (!add(out, &cap, util_le64(ip), util_le64(ip + l->info_ts), ip[l->info_level] >> 5,
                 text + start + w, (size_t)tl)) {
            printk_log_free(out);
            say(why, whylen, "out of memory");
            return false;
        }
    }
    if (!out->n) {
        printk_log_free(out);
        say(why, whylen, "no live record in the ring buffer");
        return false;
    }
    qsort(out->r, out->n, sizeof(*out->r), by_seq);
    return true;
}

/* ---- log_buf ---- */

/* Records from first_idx with header size hdr and alignment a.  Returns
 * how many decoded; *complete when the walk reached next_idx with every
 * record exact.  out may be NULL (count only). */
static size_t logbuf_walk(const uint8_t *buf, size_t len, const printk_logbuf_t *v, size_t hdr,
                          size_t a, printk_log_t *out, bool *complete, char *why, size_t whylen)
{
    size_t idx = v->first_idx, n = 0, cap = 0, wraps = 0;
    /* Every record takes at least a header: a bound on the walk. */
    size_t max = len / hdr + 2;
    *complete = false;
    for (size_t step = 0; step < max; step++) {
        if (idx == v->next_idx) {
            *complete = true;
            return n;
        }
        if (idx > len || len - idx < hdr) {
            say(why, whylen, "a record position lies past the buffer");
            return n;
        }
        const uint8_t *p = buf + idx;
        size_t rl = util_le16(p + 8), tl = util_le16(p + 10), dl = util_le16(p + 12);
        if (rl == 0) { /* the rest of the buffer is unused: go round */
            if (idx == 0 || ++wraps > 1) {
                say(why, whylen, "an empty record where a record must be");
                return n;
            }
            idx = 0;
            continue;
        }
        if (rl != align_up(hdr + tl + dl, a) || rl > len - idx || tl > PRINTK_RECORD_MAX) {
            char m[128];
            snprintf(m, sizeof(m), "record at 0x%zx: length %zu is not its header, text and "
                                   "dictionary padded", idx, rl);
            say(why, whylen, m);
            return n;
        }
        if (out && !add(out, &cap, v->first_seq + n, util_le64(p), p[15] >> 5, p + hdr, tl)) {
            say(why, whylen, "out of memory");
            return n;
        }
        n++;
        idx += rl;
    }
    say(why, whylen, "the records do not lead to log_next_idx");
    return n;
}

bool printk_logbuf_decode(const uint8_t *buf, size_t len, const printk_logbuf_t *v,
                          printk_log_t *out, char *why, size_t whylen)
{
    static const size_t hdrs[2] = { 16, 20 }, aligns[2] = { 4, 8 };
    size_t best = 0, bh = 16, ba = 4;
    bool best_complete = false, have = false;
    char w1[160] = "";
    out->r = NULL;
    out->n = 0;
    if (!buf || len < 16 || v->first_idx >= len || v->next_idx >= len) {
        say(why, whylen, "log_first_idx or log_next_idx lies outside log_buf");
        return false;
    }
    /* Sequence numbers count records from boot: they never come near
     * wrapping, so a first_seq that would is not one. */
    if (v->first_seq > UINT64_MAX - (len / 16 + 2)) {
        say(why, whylen, "log_first_seq is implausible (it would wrap)");
        return false;
    }
    for (size_t i = 0; i < 2; i++) {
        for (size_t j = 0; j < 2; j++) {
            bool complete;
            char w2[160] = "";
            size_t n = logbuf_walk(buf, len, v, hdrs[i], aligns[j], NULL, &complete, w2,
                                   sizeof(w2));
            if (!have || (complete && !best_complete) ||
                (complete == best_complete && n > best)) {
                have = true;
                best = n;
                best_complete = complete;
                bh = hdrs[i];
                ba = aligns[j];
                snprintf(w1, sizeof(w1), "%s", w2);
            }
        }
    }
    bool complete;
    if (!best || logbuf_walk(buf, len, v, bh, ba, out, &complete, NULL, 0) != best) {
        printk_log_free(out);
        say(why, whylen, w1[0] ? w1 : "no record in log_buf");
        return false;
    }
    /* Partial: the records read are returned, the reason with them. */
    say(why, whylen, best_complete ? "" : w1);
    return true;
}
