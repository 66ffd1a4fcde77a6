/*
 * vmi-dmesg - the guest kernel's log, read from its printk ring buffer and
 * printed as dmesg prints it: "[    1.234567] text".
 *
 * Format (kernel/printk/printk_ringbuffer.h, 5.10+): `prb` points at a
 * struct printk_ringbuffer { desc_ring, text_data_ring, ... }.  desc_ring
 * holds 2^count_bits descriptors {state_var, text_blk_lpos {begin, next}}
 * and as many struct printk_info {seq, ts_nsec, text_len, ...}; a
 * descriptor's id is state_var without its top two (state) bits, and ids
 * from tail_id to head_id are the live records.  A record's text is a block
 * of text_data_ring.data: {unsigned long id; char text[]}, found from the
 * logical positions begin/next (index = lpos mod 2^size_bits; a block that
 * would wrap is stored from index 0 instead).
 *
 * Structure offsets come from the kernel's BTF through
 * vmi_get_kernel_struct_offset, else from the 6.1 layout (checked against
 * the data).  Without the `prb` symbol (kernels whose kallsyms has no data
 * symbols), physical memory is searched for a ring buffer header whose
 * descriptor and text rings decode; the one with the newest records wins.
 * Everything read is guest data: every size is capped, every record checked.
 * Uses only the public API.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/tool.h"

static const char usage[] =
    "usage: vmi-dmesg TARGET [options]\n"
    "Print the guest kernel's log from its printk ring buffer, as dmesg does:\n"
    "\"[seconds.micros] text\", oldest first.\n"
    "\n"
    "  -c CONFIG    a config file, or 'key = value; ...' (libvmi.conf syntax)\n"
    "      --json   a JSON array of records (seq, ts_nsec, level, text)\n"
    "  -h, --help   this text\n"
    "Exit status 1 when no ring buffer could be read.\n";

static const char *prog = "vmi-dmesg";

#define MAX_COUNT_BITS 22   /* 4M descriptors: far above any real log */
#define MAX_SIZE_BITS 28    /* 256 MiB of text */
#define RECORD_MAX 4096

typedef struct layout {
    unsigned w;                    /* pointer size */
    addr_t text_ring;              /* offset of text_data_ring in the rb */
    addr_t descs, infos, head_id, tail_id;
    addr_t data, size_bits;
    addr_t desc_size, desc_lpos;   /* sizeof(prb_desc), text_blk_lpos in it */
    addr_t info_size, info_ts, info_len, info_level;
} layout_t;

typedef struct rec {
    uint64_t seq, ts;
    unsigned level;
    char *text;
} rec_t;

typedef struct ring {
    rec_t *r;
    size_t n;
    uint64_t newest;
} ring_t;

static addr_t off_or(vmi_instance_t vmi, const char *s, const char *m, addr_t dflt)
{
    addr_t o;
    return vmi_get_kernel_struct_offset(vmi, s, m, &o) == VMI_SUCCESS ? o : dflt;
}

static void layout_init(vmi_instance_t vmi, layout_t *l)
{
    unsigned w = vmi_get_address_width(vmi);
    l->w = w == 4 ? 4 : 8;
    w = l->w;
    /* 6.1: desc_ring {count_bits, descs, infos, head_id, tail_id,
     * last_finalized_id}; the text ring follows (checked later when BTF
     * does not say). */
    l->text_ring = off_or(vmi, "printk_ringbuffer", "text_data_ring", 0);
    l->descs = off_or(vmi, "prb_desc_ring", "descs", w);
    l->infos = off_or(vmi, "prb_desc_ring", "infos", 2 * w);
    l->head_id = off_or(vmi, "prb_desc_ring", "head_id", 3 * w);
    l->tail_id = off_or(vmi, "prb_desc_ring", "tail_id", 4 * w);
    l->size_bits = off_or(vmi, "prb_data_ring", "size_bits", 0);
    l->data = off_or(vmi, "prb_data_ring", "data", w);
    l->desc_lpos = off_or(vmi, "prb_desc", "text_blk_lpos", w);
    l->desc_size = l->desc_lpos + 2 * w;
    l->info_ts = off_or(vmi, "printk_info", "ts_nsec", 8);
    l->info_len = off_or(vmi, "printk_info", "text_len", 16);
    l->info_level = l->info_len + 3; /* u8 facility, then flags:5 level:3 */
    /* sizeof(printk_info): dev_info {subsystem[16], device[48]} is last. */
    l->info_size = off_or(vmi, "printk_info", "dev_info", 24) + 64;
}

static bool kva(vmi_instance_t vmi, addr_t va, size_t len, void *buf)
{
    size_t got = 0;
    return vmi_read_va(vmi, va, 0, len, buf, &got) == VMI_SUCCESS && got == len;
}

static int by_seq(const void *a, const void *b)
{
    const rec_t *x = a, *y = b;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Decode the ring whose header bytes are hdr (desc ring at 0, text ring at
 * l->text_ring).  Returns false when it does not decode as a ring. */
static bool decode(vmi_instance_t vmi, const layout_t *l, const uint8_t *hdr, ring_t *out)
{
    unsigned w = l->w;
    uint32_t cb = (uint32_t)tool_le(hdr, 4), sb = (uint32_t)tool_le(hdr + l->text_ring + l->size_bits, 4);
    addr_t descs = tool_le(hdr + l->descs, w), infos = tool_le(hdr + l->infos, w);
    uint64_t head = tool_le(hdr + l->head_id, w), tail = tool_le(hdr + l->tail_id, w);
    addr_t data = tool_le(hdr + l->text_ring + l->data, w);
    if (cb < 2 || cb > MAX_COUNT_BITS || sb < cb || sb > MAX_SIZE_BITS || !descs || !infos ||
        !data)
        return false;
    uint64_t count = 1ULL << cb, size = 1ULL << sb;
    uint64_t idmask = w == 8 ? (~0ULL >> 2) : 0x3fffffffULL;
    uint8_t *d = malloc(count * l->desc_size), *in = malloc(count * l->info_size);
    char *text = malloc(size);
    bool ok = d && in && text && kva(vmi, descs, count * l->desc_size, d) &&
              kva(vmi, infos, count * l->info_size, in) && kva(vmi, data, size, text);
    size_t n = 0;
    rec_t *r = ok ? calloc(count, sizeof(*r)) : NULL;
    ok = ok && r;
    /* ids run from tail to head; at most `count` of them are live. */
    uint64_t span = (head - tail) & idmask;
    if (ok && span >= count)
        ok = false;
    for (uint64_t k = 0; ok && k <= span; k++) {
        uint64_t id = (tail + k) & idmask, idx = id & (count - 1);
        const uint8_t *dp = d + idx * l->desc_size, *ip = in + idx * l->info_size;
        uint64_t sv = tool_le(dp, w), state = (sv >> (8 * w - 2)) & 3;
        if ((sv & idmask) != id || (state != 1 && state != 2))
            continue; /* reserved, reusable or overwritten */
        uint64_t begin = tool_le(dp + l->desc_lpos, w), next = tool_le(dp + l->desc_lpos + w, w);
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
        uint64_t tl = tool_le(ip + l->info_len, 2);
        if (len < w || start + len > size || tl > len - w || tl > RECORD_MAX)
            continue;
        if (tool_le((const uint8_t *)text + start, w) != id)
            continue; /* the block was reused */
        rec_t *x = &r[n];
        x->seq = tool_le(ip, 8);
        x->ts = tool_le(ip + l->info_ts, 8);
        x->level = (unsigned)(tool_le(ip + l->info_level, 1) >> 5);
        x->text = malloc(tl + 1);
        if (!x->text)
            break;
        memcpy(x->text, text + start + w, tl);
        x->text[tl] = '\0';
        n++;
    }
    free(d);
    free(in);
    free(text);
    if (!ok || n == 0) {
        free(r);
        return false;
    }
    qsort(r, n, sizeof(*r), by_seq);
    out->r = r;
    out->n = n;
    out->newest = r[n - 1].seq;
    return true;
}

static void ring_free(ring_t *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->r[i].text);
    free(g->r);
    g->r = NULL;
    g->n = 0;
}

/* Without BTF the text ring follows a desc ring of 5 or 6 words (6.1 added
 * last_finalized_id): the position where size_bits is a small number just
 * above count_bits and a pointer follows. */
static void guess_text_ring(const layout_t *l0, layout_t *l, const uint8_t *hdr)
{
    *l = *l0;
    if (l->text_ring)
        return;
    uint32_t cb = (uint32_t)tool_le(hdr, 4);
    for (unsigned words = 6; words >= 5; words--) {
        uint32_t sb = (uint32_t)tool_le(hdr + words * l->w, 4);
        if (sb >= cb && sb <= cb + 10) {
            l->text_ring = words * l->w;
            return;
        }
    }
    l->text_ring = 6 * l->w;
}

#define HDR 128

typedef struct scan {
    vmi_instance_t vmi;
    const layout_t *l0;
    ring_t best;
} scan_t;

static bool is_kptr(const layout_t *l, uint64_t v)
{
    return l->w == 8 ? v >= 0xffff800000000000ULL : v >= 0x40000000ULL && v <= 0xffffffffULL;
}

/* Search physical memory for ring-buffer headers (no `prb` symbol). */
static void scan_memory(vmi_instance_t vmi, const layout_t *l0, ring_t *best)
{
    scan_t s = { vmi, l0, { NULL, 0, 0 } };
    size_t chunk = 4u << 20;
    uint8_t *buf = malloc(chunk + HDR);
    uint64_t start, end;
    if (!buf)
        return;
    for (size_t i = 0; tvmi_get_memory_range(vmi, i, &start, &end) == VMI_SUCCESS; i++) {
        for (uint64_t pa = start; pa < end; pa += chunk) {
            size_t want = chunk + HDR, got = 0;
            if (end - pa < want)
                want = (size_t)(end - pa);
            vmi_read_pa(vmi, pa, want, buf, &got);
            for (size_t p = 0; p + HDR <= got; p += l0->w) {
                uint32_t cb = (uint32_t)tool_le(buf + p, 4);
                if (cb < 5 || cb > MAX_COUNT_BITS || (l0->w == 8 && tool_le(buf + p + 4, 4)))
                    continue;
                if (!is_kptr(l0, tool_le(buf + p + l0->descs, l0->w)) ||
                    !is_kptr(l0, tool_le(buf + p + l0->infos, l0->w)))
                    continue;
                layout_t l;
                guess_text_ring(l0, &l, buf + p);
                if (!is_kptr(&l, tool_le(buf + p + l.text_ring + l.data, l.w)))
                    continue;
                ring_t g = { NULL, 0, 0 };
                if (decode(vmi, &l, buf + p, &g)) {
                    if (g.newest >= s.best.newest && g.n > 0) {
                        ring_free(&s.best);
                        s.best = g;
                    } else {
                        ring_free(&g);
                    }
                }
            }
        }
    }
    free(buf);
    *best = s.best;
}

static void print_text(const rec_t *r)
{
    /* Each line of a record gets the record's time stamp, as the kernel's
     * own log reader prints it. */
    const char *p = r->text;
    unsigned long long sec = r->ts / 1000000000ULL, us = (r->ts % 1000000000ULL) / 1000;
    do {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        printf("[%5llu.%06llu] %.*s\n", sec, us, len, p);
        p = nl ? nl + 1 : NULL;
    } while (p && *p);
}

int main(int argc, char **argv)
{
    tool_opts_t o = { 0 };
    vmi_instance_t vmi;
    int c, arg;

    if ((arg = tool_args(argc, argv, usage, 1, &o, &c)) < 0)
        return c;
    if (!tool_open(prog, argv[arg], &o, true, &vmi))
        return 1;

    layout_t l0, l;
    ring_t g = { NULL, 0, 0 };
    layout_init(vmi, &l0);
    addr_t prb_sym, rb = 0;
    const char *how = NULL;
    if (vmi_translate_ksym2v(vmi, "prb", &prb_sym) == VMI_SUCCESS) {
        uint8_t hdr[HDR];
        if (vmi_read_addr_va(vmi, prb_sym, 0, &rb) != VMI_SUCCESS || !kva(vmi, rb, HDR, hdr)) {
            how = "reading the ring buffer header prb points at failed";
        } else {
            guess_text_ring(&l0, &l, hdr);
            if (!decode(vmi, &l, hdr, &g))
                how = "the ring buffer prb points at does not decode";
        }
    } else {
        scan_memory(vmi, &l0, &g);
        if (!g.n)
            how = "no `prb` symbol, and no printk ring buffer found in memory";
    }
    if (!g.n) {
        tool_fail(prog, "%s: %s", argv[arg], how ? how : "empty log");
        vmi_destroy(vmi);
        return 1;
    }
    if (o.json)
        printf("[");
    for (size_t i = 0; i < g.n; i++) {
        if (o.json) {
            printf("%s\n  {\"seq\":%" PRIu64 ",\"ts_nsec\":%" PRIu64 ",\"level\":%u,\"text\":",
                   i ? "," : "", g.r[i].seq, g.r[i].ts, g.r[i].level);
            tool_json_str(stdout, g.r[i].text);
            printf("}");
        } else {
            print_text(&g.r[i]);
        }
    }
    if (o.json)
        printf("\n]\n");
    ring_free(&g);
    vmi_destroy(vmi);
    return 0;
}
