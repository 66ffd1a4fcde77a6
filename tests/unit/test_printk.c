/*
 * test_printk.c - the kernel log's formats (tools/common/printk.c) on logs
 * built here the way the kernel writes them: the lockless ring buffer with
 * the 5.10/6.1 printk_info and 7.x's longer one, a ring that has wrapped
 * (descriptors and text blocks reused), data-less records, and the log_buf
 * records of 3.5 .. 5.9 (16-byte headers, 20 with CONFIG_PRINTK_CALLER)
 * with a wrap.  The guests here run 5.10+ only, so log_buf is tested here
 * alone.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "common/printk.h"

static void put(uint8_t *b, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

static size_t up(size_t x, size_t a)
{
    return (x + a - 1) / a * a;
}

static void rec_text(char *t, size_t cap, uint64_t seq)
{
    snprintf(t, cap, "record %llu: %.*s", (unsigned long long)seq, (int)(seq % 23),
             "the quick brown fox jumps");
}

/* ---- the lockless ring ---- */

enum { CB = 4, SB = 10, COUNT = 1 << CB, SIZE = 1 << SB };

typedef struct ring {
    printk_rb_layout_t l;
    printk_rb_hdr_t h;
    uint8_t hdr[PRINTK_RB_HDR_MAX];
    uint8_t descs[COUNT * 24], infos[COUNT * 0x70], text[SIZE];
    uint64_t first_live; /* oldest seq still readable */
} ring_t;

/* The id of record seq: congruent to it modulo the ring's size, as the
 * kernel hands them out (seq and id both start at slot 0). */
#define ID(seq) ((seq) + 3 * COUNT)
#define IDX(seq) (ID(seq) & (COUNT - 1))

/* Write nrec records as prb_reserve/commit would: record seq gets id
 * ID(seq), slot id mod COUNT, a text block after the
 * previous one, moved to the ring's start when it would wrap.  Record 5 is
 * data-less.  info_size is the guest's sizeof(printk_info); desc_words 5
 * (5.10) or 6 (6.1+) puts the text ring after the desc ring. */
static void ring_build(ring_t *r, uint64_t nrec, size_t info_size, unsigned desc_words)
{
    const unsigned w = 8;
    memset(r, 0, sizeof(*r));
    printk_rb_default_layout(&r->l, w);
    uint64_t lpos = 0;
    for (uint64_t seq = 0; seq < nrec; seq++) {
        uint64_t id = ID(seq), idx = IDX(seq);
        char t[64];
        rec_text(t, sizeof(t), seq);
        size_t tl = strlen(t), need = up(w + tl, w);
        uint64_t begin = lpos, next;
        if (seq == 5) {
            begin = next = 1; /* FAILED_LPOS: no text */
        } else {
            if (lpos % SIZE + need > SIZE)
                next = (lpos - lpos % SIZE + SIZE) + need;
            else
                next = lpos + need;
            size_t at = (begin >> SB) == (next >> SB) ? begin % SIZE : 0;
            put(r->text + at, id, w);
            memcpy(r->text + at + w, t, tl);
            lpos = next;
        }
        uint8_t *d = r->descs + idx * 24, *in = r->infos + idx * info_size;
        put(d, (seq + 1 == nrec ? 1ULL : 2ULL) << 62 | id, w); /* finalized, newest committed */
        put(d + 8, begin, w);
        put(d + 16, next, w);
        memset(in, 0, info_size);
        put(in, seq, 8);
        put(in + 8, 1000000ULL * seq + 123456, 8);
        put(in + 16, tl, 2);
        in[19] = (uint8_t)((seq % 8) << 5 | 2); /* level:3 over flags:5 */
        put(in + 20, 0x80000000u | (uint32_t)seq, 4);
    }
    uint64_t head = ID(nrec - 1), tail = nrec > COUNT ? head - (COUNT - 1) : ID(0);
    r->first_live = tail - ID(0);
    /* The header: desc ring {count_bits, descs, infos, head, tail[, last]},
     * then the text ring {size_bits, data, head_lpos, tail_lpos}. */
    put(r->hdr, CB, 4);
    put(r->hdr + 8, 0xffffffff82000000ULL, 8);
    put(r->hdr + 16, 0xffffffff82100000ULL, 8);
    put(r->hdr + 24, head, 8);
    put(r->hdr + 32, tail, 8);
    put(r->hdr + 40, 0x1234, 8);
    put(r->hdr + desc_words * 8, SB, 4);
    put(r->hdr + desc_words * 8 + 8, 0xffffffff82200000ULL, 8);
    r->l.info_size = info_size;
}

static void ring_check(uint64_t nrec, size_t info_size, size_t guess, unsigned desc_words)
{
    ring_t *r = malloc(sizeof(*r));
    char why[160] = "";
    ring_build(r, nrec, info_size, desc_words);
    r->l.info_size = guess; /* what the tool believes before looking */
    CHECK(printk_rb_header(&r->l, r->hdr, sizeof(r->hdr), &r->h, why, sizeof(why)));
    CHECK_EQ_U64(r->l.text_ring, desc_words * 8);
    CHECK_EQ_U64(r->h.count_bits, CB);
    CHECK_EQ_U64(r->h.size_bits, SB);
    size_t stride = printk_rb_info_stride(&r->l, &r->h, r->descs, r->infos, sizeof(r->infos));
    CHECK_EQ_U64(stride, info_size);
    r->l.info_size = stride;
    printk_log_t log;
    CHECK(printk_rb_decode(&r->l, &r->h, r->descs, r->infos, r->text, &log, why, sizeof(why)));
    /* Every live record with text, in order, as written. */
    size_t want = 0;
    for (uint64_t seq = r->first_live; seq < nrec; seq++)
        want += seq != 5;
    CHECK_EQ_U64(log.n, want);
    size_t i = 0, bad = 0;
    for (uint64_t seq = r->first_live; seq < nrec && i < log.n; seq++) {
        if (seq == 5)
            continue;
        char t[64];
        rec_text(t, sizeof(t), seq);
        if (log.r[i].seq != seq || strcmp(log.r[i].text, t) != 0 ||
            log.r[i].ts_nsec != 1000000ULL * seq + 123456 || log.r[i].level != seq % 8) {
            if (bad++ < 3)
                fprintf(stderr, "  record %zu: seq %llu \"%s\"\n", i,
                        (unsigned long long)log.r[i].seq, log.r[i].text);
        }
        i++;
    }
    CHECK(bad == 0);
    printk_log_free(&log);
    free(r);
}

static void test_ring_61(void)
{
    ring_check(12, 0x58, 0x58, 6); /* not wrapped */
    ring_check(40, 0x58, 0x58, 6); /* wrapped: descriptors and blocks reused */
}

static void test_ring_510(void)
{
    ring_check(40, 0x58, 0x58, 5); /* the desc ring without last_finalized_id */
}

/* 7.x's printk_info: caller_id2 and comm[16] before dev_info (0x70
 * bytes); the records say so even when the tool guessed the 6.1 size. */
static void test_ring_7x_info(void)
{
    ring_check(40, 0x70, 0x58, 6);
    ring_check(9, 0x70, 0x70, 6);
}

static void test_ring_damage(void)
{
    ring_t *r = malloc(sizeof(*r));
    char why[160] = "";
    printk_log_t log;

    ring_build(r, 40, 0x58, 6);
    CHECK(printk_rb_header(&r->l, r->hdr, sizeof(r->hdr), &r->h, why, sizeof(why)));
    /* A block position past the text ring, a text length past its block,
     * a reused block: those records are skipped, the rest decode. */
    put(r->descs + IDX(30) * 24 + 16, 0x7fffffffffffULL, 8);
    put(r->infos + IDX(31) * 0x58 + 16, 0xffff, 2);
    uint64_t begin = 0, next = 0;
    memcpy(&begin, r->descs + IDX(32) * 24 + 8, 8);
    memcpy(&next, r->descs + IDX(32) * 24 + 16, 8);
    r->text[(begin >> SB) == (next >> SB) ? begin % SIZE : 0] ^= 1; /* its id */
    CHECK(printk_rb_decode(&r->l, &r->h, r->descs, r->infos, r->text, &log, why, sizeof(why)));
    CHECK_EQ_U64(log.n, COUNT - 3); /* the last COUNT are live */
    for (size_t i = 0; i < log.n; i++)
        CHECK(log.r[i].seq != 30 && log.r[i].seq != 31 && log.r[i].seq != 32);
    printk_log_free(&log);

    /* Head and tail further apart than the ring holds: refused. */
    printk_rb_hdr_t h = r->h;
    h.head_id = h.tail_id + COUNT;
    CHECK(!printk_rb_decode(&r->l, &h, r->descs, r->infos, r->text, &log, why, sizeof(why)));
    CHECK(strstr(why, "further apart") != NULL);
    /* Implausible sizes and pointers in the header: refused with a reason. */
    put(r->hdr, 40, 4);
    r->l.text_ring = 48;
    CHECK(!printk_rb_header(&r->l, r->hdr, sizeof(r->hdr), &h, why, sizeof(why)));
    CHECK(strstr(why, "implausible") != NULL);
    put(r->hdr, CB, 4);
    put(r->hdr + 8, 0x1000, 8);
    CHECK(!printk_rb_header(&r->l, r->hdr, sizeof(r->hdr), &h, why, sizeof(why)));
    CHECK(strstr(why, "kernel addresses") != NULL);
    CHECK(!printk_rb_header(&r->l, r->hdr, 16, &h, why, sizeof(why)));
    /* No info size fits: 0, not a guess. */
    ring_build(r, 40, 0x58, 6);
    CHECK(printk_rb_header(&r->l, r->hdr, sizeof(r->hdr), &r->h, why, sizeof(why)));
    for (size_t i = 0; i < COUNT; i++)
        put(r->infos + i * 0x58, 3, 8);
    memset(r->infos + 0x58, 0x11, sizeof(r->infos) - 0x58);
    CHECK_EQ_U64(printk_rb_info_stride(&r->l, &r->h, r->descs, r->infos, sizeof(r->infos)), 0);
    free(r);
}

/* ---- log_buf ---- */

enum { LB = 600 };

/* Records as log_store() wrote them into log_buf: header (hdr bytes: u64
 * ts, u16 len, text_len, dict_len, u8 facility, u8 flags:5 level:3, [u32
 * caller]), text, dictionary, padding to 4.  Space is made the kernel's
 * way (the oldest records are dropped until the new one and a header fit),
 * and a record that would not fit before the end leaves a zeroed header
 * and starts at 0.  *v ends as log_first_idx, log_next_idx, log_first_seq. */
static uint32_t lb_next(const uint8_t *buf, uint32_t idx)
{
    uint32_t l = (uint32_t)(buf[idx + 8] | buf[idx + 9] << 8);
    if (!l) /* the wrap marker: the record at 0 is next */
        return (uint32_t)(buf[8] | buf[9] << 8);
    return idx + l;
}

static bool lb_has_space(uint32_t first, uint32_t next, bool empty, size_t size, size_t hdr)
{
    size_t free_ = empty || next >= first ? (LB - next > first ? LB - next : first)
                                          : first - next;
    return free_ >= size + hdr;
}

static void logbuf_build(uint8_t *buf, size_t hdr, uint64_t nrec, printk_logbuf_t *v,
                         uint64_t *first_seq)
{
    uint32_t first = 0, next = 0;
    uint64_t fseq = 0;
    memset(buf, 0xee, LB);
    for (uint64_t seq = 0; seq < nrec; seq++) {
        char t[64];
        rec_text(t, sizeof(t), seq);
        size_t tl = strlen(t), dl = seq % 3 ? 0 : 9;
        size_t size = up(hdr + tl + dl, 4);
        while (fseq < seq && !lb_has_space(first, next, false, size, hdr)) {
            first = lb_next(buf, first);
            fseq++;
        }
        if (next + size + hdr > LB) {
            memset(buf + next, 0, hdr);
            next = 0;
        }
        uint8_t *p = buf + next;
        memset(p, 0, hdr);
        put(p, 1000ULL * seq, 8);
        put(p + 8, size, 2);
        put(p + 10, tl, 2);
        put(p + 12, dl, 2);
        p[15] = (uint8_t)((seq % 8) << 5 | 1);
        memcpy(p + hdr, t, tl);
        memcpy(p + hdr + tl, "DEVICE=x", dl ? 9 : 0);
        next += (uint32_t)size;
    }
    v->first_idx = first;
    v->next_idx = next;
    v->first_seq = fseq;
    *first_seq = fseq;
}

static void logbuf_check(size_t hdr, uint64_t nrec)
{
    uint8_t *buf = malloc(LB);
    printk_logbuf_t v;
    uint64_t first;
    char why[160] = "x";
    printk_log_t log;
    logbuf_build(buf, hdr, nrec, &v, &first);
    CHECK(printk_logbuf_decode(buf, LB, &v, &log, why, sizeof(why)));
    CHECK(why[0] == '\0'); /* complete */
    CHECK_EQ_U64(log.n, nrec - first);
    size_t bad = 0;
    for (size_t i = 0; i < log.n; i++) {
        char t[64];
        rec_text(t, sizeof(t), first + i);
        if (log.r[i].seq != first + i || strcmp(log.r[i].text, t) != 0 ||
            log.r[i].ts_nsec != 1000ULL * (first + i) || log.r[i].level != (first + i) % 8)
            bad++;
    }
    CHECK(bad == 0);
    printk_log_free(&log);
    free(buf);
}

static void test_logbuf_records(void)
{
    logbuf_check(16, 6);  /* 3.5 .. 5.9, no wrap yet */
    logbuf_check(16, 25); /* wrapped */
    logbuf_check(20, 25); /* 5.1+ with CONFIG_PRINTK_CALLER */
}

static void test_logbuf_damage(void)
{
    uint8_t *buf = malloc(LB);
    printk_logbuf_t v;
    uint64_t first;
    char why[160];
    printk_log_t log;
    logbuf_build(buf, 16, 25, &v, &first);
    /* Positions outside the buffer: refused. */
    printk_logbuf_t bad = v;
    bad.next_idx = LB + 4;
    CHECK(!printk_logbuf_decode(buf, LB, &bad, &log, why, sizeof(why)));
    CHECK(strstr(why, "outside log_buf") != NULL);
    /* A record whose length lies: the ones before it, and the reason. */
    size_t second = v.first_idx + (buf[v.first_idx + 8] | buf[v.first_idx + 9] << 8);
    buf[second + 8] += 4;
    CHECK(printk_logbuf_decode(buf, LB, &v, &log, why, sizeof(why)));
    CHECK_EQ_U64(log.n, 1);
    CHECK(strstr(why, "not its header") != NULL);
    printk_log_free(&log);
    /* An empty record at the buffer's start, where one must be: nothing
     * to read, with a reason (elsewhere an empty header means "go round"). */
    bad = v;
    bad.first_idx = 0;
    memset(buf, 0, 16);
    CHECK(!printk_logbuf_decode(buf, LB, &bad, &log, why, sizeof(why)));
    CHECK(strstr(why, "empty record") != NULL);
    /* Garbage everywhere: bounded, refused. */
    memset(buf, 0x41, LB);
    CHECK(!printk_logbuf_decode(buf, LB, &v, &log, why, sizeof(why)));
    free(buf);
}

int main(void)
{
    TEST_RUN(test_ring_61);
    TEST_RUN(test_ring_510);
    TEST_RUN(test_ring_7x_info);
    TEST_RUN(test_ring_damage);
    TEST_RUN(test_logbuf_records);
    TEST_RUN(test_logbuf_damage);
    TEST_DONE();
}
