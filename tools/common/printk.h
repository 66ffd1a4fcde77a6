/*
 * printk.h - the Linux kernel log's two formats, decoded from bytes copied
 * out of guest memory (vmi-dmesg reads the guest; this only parses, so unit
 * tests and fuzzers can feed it crafted bytes).
 *
 *   The lockless ring buffer (kernel/printk/printk_ringbuffer.h, 5.10+):
 *   descriptors, their struct printk_info and a text data ring.
 *   The log_buf records (kernel/printk/printk.c, 3.5 .. 5.9): struct
 *   printk_log headers, each followed by its text, in one circular buffer.
 *
 * Everything here is guest data: every count is capped, every length and
 * position checked against the bytes given; a bad record is skipped or
 * ends the walk, never read past.
 */
#ifndef TINYVMI_TOOL_PRINTK_H
#define TINYVMI_TOOL_PRINTK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One record, as dmesg shows it. */
typedef struct printk_rec {
    uint64_t seq, ts_nsec;
    unsigned level;
    char *text; /* NUL-terminated, malloc'd */
} printk_rec_t;

/* Records in sequence order. */
typedef struct printk_log {
    printk_rec_t *r;
    size_t n;
} printk_log_t;

void printk_log_free(printk_log_t *log);

/* ---- the lockless ring buffer (5.10+) ---- */

/* Where things are, in bytes.  The header offsets are from the start of
 * struct printk_ringbuffer; desc_ring comes first in it. */
typedef struct printk_rb_layout {
    unsigned w;                      /* pointer size, 4 or 8 */
    size_t descs, infos, head_id, tail_id;      /* in prb_desc_ring */
    size_t text_ring;                /* prb_data_ring text_data_ring */
    size_t size_bits, data;          /* in prb_data_ring */
    size_t desc_size, desc_lpos;     /* sizeof(prb_desc), text_blk_lpos in it */
    size_t info_size;                /* sizeof(printk_info) */
    size_t info_ts, info_len, info_level; /* ts_nsec, text_len; the byte whose
                                      * top 3 bits are the level */
} printk_rb_layout_t;

/* The 6.1 layout for pointer size w (text_ring: 6 words; 5 on 5.10 .. 5.x
 * before last_finalized_id), for kernels without BTF. */
void printk_rb_default_layout(printk_rb_layout_t *l, unsigned w);

/* What the header says. */
typedef struct printk_rb_hdr {
    uint32_t count_bits, size_bits;
    uint64_t descs, infos, data;     /* guest virtual addresses */
    uint64_t head_id, tail_id;
} printk_rb_hdr_t;

#define PRINTK_RB_HDR_MAX 256        /* header bytes to copy */
#define PRINTK_MAX_COUNT_BITS 22     /* 4M descriptors: far above any real log */
#define PRINTK_MAX_SIZE_BITS 28      /* 256 MiB of text */
#define PRINTK_RECORD_MAX 4096       /* longest text accepted */

/* Parse and check a header (len bytes at hdr).  Without BTF (text_ring 0)
 * the text ring is looked for where 5.10 and 6.1+ put it: after a desc ring
 * of 5 or 6 words, where size_bits is a small number above count_bits. */
bool printk_rb_header(printk_rb_layout_t *l, const uint8_t *hdr, size_t len, printk_rb_hdr_t *h,
                      char *why, size_t whylen);

/* sizeof(printk_info) as the data shows it: the entry of every live
 * descriptor among the first ones carries a sequence number congruent to
 * its index (the kernel hands out seq = index + k * count).  descs holds
 * the whole descriptor array, infos the first infos_len bytes of the info
 * array.  Tries l->info_size first, then every multiple of the alignment
 * up to 512; 0 when none fits. */
size_t printk_rb_info_stride(const printk_rb_layout_t *l, const printk_rb_hdr_t *h,
                             const uint8_t *descs, const uint8_t *infos, size_t infos_len);

/* Decode the live records: descs (2^count_bits descriptors), infos (as
 * many printk_info), text (2^size_bits bytes). */
bool printk_rb_decode(const printk_rb_layout_t *l, const printk_rb_hdr_t *h, const uint8_t *descs,
                      const uint8_t *infos, const uint8_t *text, printk_log_t *out, char *why,
                      size_t whylen);

/* ---- log_buf records (up to 5.9) ---- */

/* The log_buf variables: first_idx and next_idx (byte positions of the
 * oldest record and of the next one to be written) and first_seq. */
typedef struct printk_logbuf {
    uint32_t first_idx, next_idx;
    uint64_t first_seq;
} printk_logbuf_t;

/* Walk the records of buf (log_buf_len bytes) from first_idx to next_idx:
 * struct printk_log {u64 ts_nsec; u16 len, text_len, dict_len; u8
 * facility; u8 flags:5, level:3; [u32 caller_id, 5.1+ with
 * CONFIG_PRINTK_CALLER]}, then the text and dictionary, padded to the
 * header's alignment (4 on x86); a zero len means the next record is at
 * the buffer's start.  The header size (16 or 20) and the alignment (4 or
 * 8) are the ones for which every record's len is exactly its padded size. */
bool printk_logbuf_decode(const uint8_t *buf, size_t len, const printk_logbuf_t *v,
                          printk_log_t *out, char *why, size_t whylen);

#endif
