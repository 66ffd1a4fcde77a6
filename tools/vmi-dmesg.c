/*
 * vmi-dmesg - the guest kernel's log, read from its printk buffer and
 * printed as dmesg prints it: "[    1.234567] text".
 *
 * Two formats (decoded by common/printk.c, which documents them): the
 * lockless ring buffer of 5.10+ that `prb` points at, and the log_buf
 * records of older kernels (log_buf, log_buf_len, log_first_idx,
 * log_next_idx, log_first_seq).  Structure offsets come from the kernel's
 * BTF through vmi_get_kernel_struct_offset, else from the 6.1 layout; the
 * size of struct printk_info (7.x added fields) from the records
 * themselves.  Without the `prb` and log_buf symbols (kernels whose
 * kallsyms has no data symbols), physical memory is searched for a ring
 * buffer header whose descriptor and text rings decode; the one with the
 * newest records wins.  Uses only the public API; every size read from the
 * guest is capped.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/printk.h"
#include "common/tool.h"

static const char usage[] =
    "usage: vmi-dmesg TARGET [options]\n"
    "Print the guest kernel's log from its printk buffer, as dmesg does:\n"
    "\"[seconds.micros] text\", oldest first.\n"
    "\n"
    "  -c CONFIG    a config file, or 'key = value; ...' (libvmi.conf syntax)\n"
    "      --json   a JSON array of records (seq, ts_nsec, level, text)\n"
    "  -h, --help   this text\n"
    "Exit status 1 when no log could be read.\n";

static const char *prog = "vmi-dmesg";

/* log_buf is CONFIG_LOG_BUF_SHIFT (12..25) or log_buf_len= (rarely above
 * that): 64 MiB is far above any. */
#define LOGBUF_MAX (64u << 20)

static addr_t off_or(vmi_instance_t vmi, const char *s, const char *m, addr_t dflt)
{
    addr_t o;
    return vmi_get_kernel_struct_offset(vmi, s, m, &o) == VMI_SUCCESS ? o : dflt;
}

static void layout_init(vmi_instance_t vmi, printk_rb_layout_t *l)
{
    printk_rb_default_layout(l, vmi_get_address_width(vmi));
    unsigned w = l->w;
    l->text_ring = off_or(vmi, "printk_ringbuffer", "text_data_ring", 0);
    l->descs = off_or(vmi, "prb_desc_ring", "descs", l->descs);
    l->infos = off_or(vmi, "prb_desc_ring", "infos", l->infos);
    l->head_id = off_or(vmi, "prb_desc_ring", "head_id", l->head_id);
    l->tail_id = off_or(vmi, "prb_desc_ring", "tail_id", l->tail_id);
    l->size_bits = off_or(vmi, "prb_data_ring", "size_bits", l->size_bits);
    l->data = off_or(vmi, "prb_data_ring", "data", l->data);
    l->desc_lpos = off_or(vmi, "prb_desc", "text_blk_lpos", l->desc_lpos);
    l->desc_size = l->desc_lpos + 2 * w;
    l->info_ts = off_or(vmi, "printk_info", "ts_nsec", l->info_ts);
    l->info_len = off_or(vmi, "printk_info", "text_len", l->info_len);
    l->info_level = l->info_len + 3; /* u8 facility, then flags:5 level:3 */
    /* dev_info {subsystem[16], device[48]} is printk_info's last member in
     * every version so far; the records confirm or correct the size. */
    addr_t dev = off_or(vmi, "printk_info", "dev_info", 0);
    if (dev)
        l->info_size = (dev + 64 + w - 1) / w * w;
}

static bool kva(vmi_instance_t vmi, addr_t va, size_t len, void *buf)
{
    size_t got = 0;
    return vmi_read_va(vmi, va, 0, len, buf, &got) == VMI_SUCCESS && got == len;
}

/* Read and decode the ring whose header bytes are hdr. */
static bool read_ring(vmi_instance_t vmi, const printk_rb_layout_t *l0, const uint8_t *hdr,
                      printk_log_t *out, char *why, size_t whylen)
{
    printk_rb_layout_t l = *l0;
    printk_rb_hdr_t h;
    if (!printk_rb_header(&l, hdr, PRINTK_RB_HDR_MAX, &h, why, whylen))
        return false;
    uint64_t count = 1ULL << h.count_bits, size = 1ULL << h.size_bits;
    size_t probe = (size_t)(count < 64 ? count : 64) * 512;
    uint8_t *d = malloc(count * l.desc_size), *in = NULL, *text = malloc(size);
    bool ok = false;
    if (!d || !text || !kva(vmi, h.descs, count * l.desc_size, d)) {
        snprintf(why, whylen, "cannot read the %llu descriptors at 0x%llx",
                 (unsigned long long)count, (unsigned long long)h.descs);
        goto done;
    }
    /* The info size from the first entries, then all of them. */
    in = malloc(probe);
    if (!in || !kva(vmi, h.infos, probe, in)) {
        snprintf(why, whylen, "cannot read the record infos at 0x%llx",
                 (unsigned long long)h.infos);
        goto done;
    }
    size_t stride = printk_rb_info_stride(&l, &h, d, in, probe);
    if (!stride) {
        snprintf(why, whylen, "no struct printk_info size up to 512 bytes fits the records' "
                              "sequence numbers (a layout this tool does not know)");
        goto done;
    }
    l.info_size = stride;
    free(in);
    in = malloc(count * stride);
    if (!in || !kva(vmi, h.infos, count * stride, in) || !kva(vmi, h.data, size, text)) {
        snprintf(why, whylen, "cannot read the record infos or the %llu bytes of text",
                 (unsigned long long)size);
        goto done;
    }
    ok = printk_rb_decode(&l, &h, d, in, text, out, why, whylen);
done:
    free(d);
    free(in);
    free(text);
    return ok;
}

#define HDR PRINTK_RB_HDR_MAX

static bool is_kptr(unsigned w, uint64_t v)
{
    return w == 8 ? v >= 0xffff800000000000ULL : v >= 0x40000000ULL && v <= 0xffffffffULL;
}

/* Search physical memory for ring-buffer headers (no `prb` symbol). */
static void scan_memory(vmi_instance_t vmi, const printk_rb_layout_t *l0, printk_log_t *best)
{
    size_t chunk = 4u << 20;
    unsigned w = l0->w;
    uint8_t *buf = malloc(chunk + HDR);
    uint64_t start, end;
    best->r = NULL;
    best->n = 0;
    if (!buf)
        return;
    for (size_t i = 0; tvmi_get_memory_range(vmi, i, &start, &end) == VMI_SUCCESS; i++) {
        for (uint64_t pa = start; pa < end; pa += chunk) {
            size_t want = chunk + HDR, got = 0;
            if (end - pa < want)
                want = (size_t)(end - pa);
            vmi_read_pa(vmi, pa, want, buf, &got);
            for (size_t p = 0; p + HDR <= got; p += w) {
                uint32_t cb = (uint32_t)tool_le(buf + p, 4);
                if (cb < 5 || cb > PRINTK_MAX_COUNT_BITS || (w == 8 && tool_le(buf + p + 4, 4)))
                    continue;
                if (!is_kptr(w, tool_le(buf + p + l0->descs, w)) ||
                    !is_kptr(w, tool_le(buf + p + l0->infos, w)))
                    continue;
                printk_log_t g;
                char why[160];
                if (read_ring(vmi, l0, buf + p, &g, why, sizeof(why))) {
                    if (!best->n || g.r[g.n - 1].seq >= best->r[best->n - 1].seq) {
                        printk_log_free(best);
                        *best = g;
                    } else {
                        printk_log_free(&g);
                    }
                }
            }
        }
    }
    free(buf);
}

/* Kernels before 5.10: log_buf and the variables that say where in it the
 * records are.  Returns false with a reason when a symbol is missing or a
 * read fails; *present tells whether log_buf exists at all. */
static bool read_logbuf(vmi_instance_t vmi, printk_log_t *out, bool *present, char *why,
                        size_t whylen)
{
    static const char *const need[] = { "log_buf", "log_buf_len", "log_first_idx",
                                        "log_next_idx", "log_first_seq" };
    addr_t va[5], buf_va;
    uint32_t blen, first, next;
    uint64_t seq;
    *present = vmi_translate_ksym2v(vmi, "log_buf", &va[0]) == VMI_SUCCESS;
    if (!*present)
        return false;
    for (size_t i = 1; i < 5; i++) {
        if (vmi_translate_ksym2v(vmi, need[i], &va[i]) != VMI_SUCCESS) {
            snprintf(why, whylen, "the kernel has log_buf but no %s symbol", need[i]);
            return false;
        }
    }
    if (vmi_read_addr_va(vmi, va[0], 0, &buf_va) != VMI_SUCCESS ||
        vmi_read_32_va(vmi, va[1], 0, &blen) != VMI_SUCCESS ||
        vmi_read_32_va(vmi, va[2], 0, &first) != VMI_SUCCESS ||
        vmi_read_32_va(vmi, va[3], 0, &next) != VMI_SUCCESS ||
        vmi_read_64_va(vmi, va[4], 0, &seq) != VMI_SUCCESS) {
        snprintf(why, whylen, "reading the log_buf variables failed: %s", tvmi_errmsg(vmi));
        return false;
    }
    if (blen < 64 || blen > LOGBUF_MAX) {
        snprintf(why, whylen, "log_buf_len %u is implausible", blen);
        return false;
    }
    uint8_t *b = malloc(blen);
    if (!b || !kva(vmi, buf_va, blen, b)) {
        free(b);
        snprintf(why, whylen, "cannot read the %u bytes of log_buf at 0x%llx", blen,
                 (unsigned long long)buf_va);
        return false;
    }
    printk_logbuf_t v = { first, next, seq };
    bool ok = printk_logbuf_decode(b, blen, &v, out, why, whylen);
    free(b);
    if (ok && why[0])
        fprintf(stderr, "%s: warning: log_buf read in part: %s\n", prog, why);
    return ok;
}

static void print_text(const printk_rec_t *r)
{
    /* Each line of a record gets the record's time stamp, as the kernel's
     * own log reader prints it. */
    const char *p = r->text;
    unsigned long long sec = r->ts_nsec / 1000000000ULL, us = (r->ts_nsec % 1000000000ULL) / 1000;
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
    int c = 0, arg;

    if ((arg = tool_args(argc, argv, usage, 1, &o, &c)) < 0)
        return c;
    if (!tool_open(prog, argv[arg], &o, true, &vmi))
        return 1;

    printk_rb_layout_t l0;
    printk_log_t g = { NULL, 0 };
    char why[256] = "";
    layout_init(vmi, &l0);
    addr_t prb_sym, rb = 0;
    bool have_logbuf = false;
    if (vmi_translate_ksym2v(vmi, "prb", &prb_sym) == VMI_SUCCESS) {
        uint8_t hdr[HDR];
        if (vmi_read_addr_va(vmi, prb_sym, 0, &rb) != VMI_SUCCESS || !kva(vmi, rb, HDR, hdr))
            snprintf(why, sizeof(why), "reading the ring buffer header prb points at failed");
        else
            (void)read_ring(vmi, &l0, hdr, &g, why, sizeof(why)); /* why says why not */
    } else if (!read_logbuf(vmi, &g, &have_logbuf, why, sizeof(why)) && !have_logbuf) {
        scan_memory(vmi, &l0, &g);
        if (!g.n)
            snprintf(why, sizeof(why),
                     "no `prb` symbol (5.10+) and no log_buf symbols (older kernels), and no "
                     "printk ring buffer found in memory; give a System.map with them "
                     "(-c 'sysmap = \"/path/System.map\"')");
    }
    if (!g.n) {
        tool_fail(prog, "%s: %s", argv[arg], why[0] ? why : "empty log");
        vmi_destroy(vmi);
        return 1;
    }
    if (o.json)
        printf("[");
    for (size_t i = 0; i < g.n; i++) {
        if (o.json) {
            printf("%s\n  {\"seq\":%" PRIu64 ",\"ts_nsec\":%" PRIu64 ",\"level\":%u,\"text\":",
                   i ? "," : "", g.r[i].seq, g.r[i].ts_nsec, g.r[i].level);
            tool_json_str(stdout, g.r[i].text);
            printf("}");
        } else {
            print_text(&g.r[i]);
        }
    }
    if (o.json)
        printf("\n]\n");
    printk_log_free(&g);
    vmi_destroy(vmi);
    return 0;
}
