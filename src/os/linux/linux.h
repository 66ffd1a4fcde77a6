/*
 * linux.h - the inside of the Linux OS layer, shared by the files of
 * src/os/linux/ and nothing else.
 *
 * The layer is built from small parts, each in its own file:
 *   symtab.c     the symbol index (hash by name, array sorted by address;
 *                a System.map read lazily; a compact compiled-in table)
 *   sysmap.c     System.map text -> symbol index
 *   kallsyms.c   the kernel's compressed kallsyms tables -> symbol index
 *   btf.c        the kernel's BTF type information -> structure offsets
 *   ksymtab.c    exported symbols (__ksymtab) found without any symbol table
 *   locate.c     where the kernel is: banner, kallsyms tables and BTF in
 *                physical memory, the KASLR slide, the kernel page table
 *   offsets.c    structure offsets from config, BTF or heuristics
 *   heuristic.c  task_struct / mm_struct offsets guessed from guest data,
 *                for kernels without BTF
 *   read.c       kernel reads and the bounded list walk
 *   tasks.c      processes, pid <-> page table
 *   modules.c    kernel modules
 *   switch.c     where the kernel switches address space (CR3-write events)
 *   linux.c      the os_ops table: init, destroy and the entry points
 *
 * The parsers (symtab, sysmap, kallsyms, btf) work on byte buffers and never
 * touch a vmi_instance, so unit tests can feed them crafted input.
 * Nothing here is part of TinyVMI's public interface.
 */
#ifndef TINYVMI_OS_LINUX_H
#define TINYVMI_OS_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvmi/libvmi.h>
#include "arch/x86.h"
#include "os/walk.h"
#include "util/err.h"

/* The longest symbol name we accept (the kernel's KSYM_NAME_LEN is 512 since
 * 6.1, 128 before). */
#define LX_SYM_NAME_MAX 1024
/* task_struct.comm is TASK_COMM_LEN (16) bytes. */
#define LX_COMM_LEN 16
/* module.name is MODULE_NAME_LEN = 64 - sizeof(unsigned long) bytes. */
#define LX_MODNAME_LEN 64

/* ==== symtab.c: the symbol index ==== */
typedef struct lx_symtab lx_symtab_t;
struct util_symz;

/* NULL when memory runs out. */
lx_symtab_t *lx_symtab_new(void);
/* The hash symbol names are looked up by (FNV-1a, its halves folded so
 * that both are mixed): one function for every name index. */
uint64_t lx_sym_hash(const char *name, size_t len);
void lx_symtab_free(lx_symtab_t *t);
/* Add a symbol (name need not be terminated; len bytes are used).  Returns
 * false when memory runs out or the name is empty or too long. */
bool lx_symtab_add(lx_symtab_t *t, const char *name, size_t len, uint64_t addr, char type);
/* Room for nsyms more symbols whose names total name_bytes (without their
 * terminators), allocated once, for a source that knows its size before it
 * adds (kallsyms): growth by doubling leaves freed copies that stay in the
 * process.  Only a hint: false when memory runs out, and adds still grow. */
bool lx_symtab_reserve(lx_symtab_t *t, size_t nsyms, size_t name_bytes);
/* Build the indexes; call once after the last add, before any lookup. */
bool lx_symtab_finish(lx_symtab_t *t);
size_t lx_symtab_count(const lx_symtab_t *t);
/* By name: the first symbol of that name in the order added. */
bool lx_symtab_lookup(const lx_symtab_t *t, const char *name, uint64_t *addr, char *type);
/* By address: a symbol exactly at addr (the first added among several at
 * the same address), or NULL. */
const char *lx_symtab_at(const lx_symtab_t *t, uint64_t addr);
/* The symbol at or below addr and the distance to it; NULL below the first. */
const char *lx_symtab_near(const lx_symtab_t *t, uint64_t addr, uint64_t *off);
/* Add slide to every address >= from (the kernel image; per-CPU offsets
 * below it do not move with KASLR).  Keeps the indexes valid. */
void lx_symtab_relocate(lx_symtab_t *t, uint64_t from, uint64_t slide);
/* The i-th symbol in address order, for tools and tests. */
bool lx_symtab_get(const lx_symtab_t *t, size_t i, const char **name, uint64_t *addr,
                   char *type);
/* The i-th symbol in the order added (built indexes only: vmi-embed). */
bool lx_symtab_get_added(const lx_symtab_t *t, size_t i, const char **name, size_t *len,
                         uint64_t *addr, char *type);
/* A System.map (path, or text of len bytes that the caller keeps) without
 * reading it in full: one streaming pass answers the nhints names listed
 * (the ones start-up will ask for) and checks the text is a symbol map;
 * other names cost a pass each (a few), and a query by address or position
 * reads the whole map into a built index.  NULL with a reason when the map
 * cannot be read or is not a System.map.  Answers equal a built index's. */
#define LX_SYSMAP_HINTS_MAX 16
lx_symtab_t *lx_symtab_from_sysmap(const char *path, const char *text, size_t len,
                                   const char *const *hints, size_t nhints, util_err_t *err);
/* A compact table (util/symz.h, already checked by util_symz_open), looked
 * up in place; the table's bytes must outlive the index.  NULL when memory
 * runs out. */
lx_symtab_t *lx_symtab_from_symz(const struct util_symz *z);
/* A kernel's kallsyms tables read in place (kallsyms.c: lx_ksview_new),
 * taken: freed with the index, or once a query needs every symbol decoded
 * (then the index is built from them).  NULL (v freed) out of memory. */
struct lx_ksview;
lx_symtab_t *lx_symtab_from_kallsyms(struct lx_ksview *v);

/* ==== sysmap.c ==== */
/* Parse System.map text ("ffffffff81000000 T _text" per line) into t.  Lines
 * that do not have that shape are counted and skipped; no kernel symbol at
 * all (only module lines count as none) is an error, and so are more bad
 * lines than symbol lines. */
status_t lx_sysmap_parse(lx_symtab_t *t, const char *text, size_t len, util_err_t *err);
/* Read a System.map file (at most LX_SYSMAP_MAX bytes, 64 KiB at a time)
 * into t. */
#define LX_SYSMAP_MAX (256u << 20)
status_t lx_sysmap_load(lx_symtab_t *t, const char *path, util_err_t *err);
/* The same, keeping kallsyms module symbols ("... [module]") when modules. */
status_t lx_sysmap_read(lx_symtab_t *t, const char *path, bool modules, util_err_t *err);
/* A name to find in a System.map, and what was found. */
typedef struct lx_sysmap_want {
    const char *name;
    size_t len;
    bool found;
    uint64_t addr;
    char type;
} lx_sysmap_want_t;
/* One pass over a System.map (the file at path, read 64 KiB at a time and
 * never held whole; or text of len bytes when path is NULL): the first
 * kernel (non-module) symbol of each wanted name.  Fails as lx_sysmap_parse
 * does on text that is not a System.map. */
status_t lx_sysmap_find(const char *path, const char *text, size_t len, lx_sysmap_want_t *want,
                        size_t n, util_err_t *err);

/* ==== kallsyms.c: the compressed symbol tables of scripts/kallsyms.c ==== */
typedef struct lx_kallsyms {
    /* Byte offsets into the buffer searched. */
    size_t token_table, token_index, names, markers, num_syms, addrs;
    size_t seqs;            /* kallsyms_seqs_of_names when checked (6.4+), else 0 */
    uint32_t count;         /* kallsyms_num_syms */
    unsigned width;         /* guest pointer size, 4 or 8 */
    unsigned marker_width;  /* 4 (.long) or 8 (older kernels: PTR) */
    bool base_relative;     /* kallsyms_offsets + kallsyms_relative_base */
    bool absolute_percpu;   /* x86-64 up to 6.14: non-negative offsets are absolute */
    bool addrs_after;       /* 6.4+: the addresses follow the token index */
    /* Place-relative offsets (seen on 7.3): symbol i is at the address of
     * offset i plus its value.  The tables do not say where they are in
     * virtual memory, so the caller sets addrs_va, the kernel virtual
     * address of buf + addrs, before decoding. */
    bool place_relative;
    uint64_t addrs_va;
    uint64_t relative_base;
    /* After a failure: how far the search got (0 no token table, 1 token
     * table, 2 names and markers too), and when the copy was too short for
     * the tables, the length from the buffer's start that would hold them
     * (0 otherwise). */
    unsigned stage;
    size_t need;
} lx_kallsyms_t;

/* The 20 bytes "0\0" "1\0" ... "9\0": the digit tokens of the token table,
 * which a real kernel always has (every digit occurs in some symbol, so each
 * keeps a one-character token of its own, in byte order). */
extern const unsigned char lx_kallsyms_digits[20];
#define LX_KALLSYMS_DIGITS_LEN 20

/* Step 1 alone, for a cheap look at a candidate: is the digit hit inside a
 * token table followed by its token index?  Sets token_table and
 * token_index. */
status_t lx_kallsyms_tokens(const uint8_t *buf, size_t len, size_t hit, unsigned width,
                            lx_kallsyms_t *k, util_err_t *err);
/* Given buf (whose offset 0 is aligned to at least 8 bytes in the guest) and
 * the offset of a digit-pattern hit inside it, find and check every table.
 * Fails with a reason when the hit is not a kallsyms token table or a table
 * lies outside buf (then k->need > len says how much buf would have to
 * hold). */
status_t lx_kallsyms_locate(const uint8_t *buf, size_t len, size_t hit, unsigned width,
                            lx_kallsyms_t *k, util_err_t *err);
/* Decode every symbol into t (does not call lx_symtab_finish). */
status_t lx_kallsyms_decode(const uint8_t *buf, size_t len, const lx_kallsyms_t *k,
                            lx_symtab_t *t, util_err_t *err);

/* One past the last byte of the tables k describes (from the buffer's
 * start): what a caller must map to read them in place. */
size_t lx_kallsyms_end(const lx_kallsyms_t *k);

/* The tables read in place, nothing decoded ahead (kallsyms.c says how):
 * names are found through kallsyms_seqs_of_names (6.2+) when it is in name
 * order, else through a hash of every name built here, which keeps no
 * name.  buf must stay mapped and unchanged while the view lives.  NULL
 * when the tables run past len, a name does not decode, or out of memory:
 * then decode them in full (which says why). */
typedef struct lx_ksview lx_ksview_t;
lx_ksview_t *lx_ksview_new(const uint8_t *buf, size_t len, const lx_kallsyms_t *k);
void lx_ksview_free(lx_ksview_t *v);
uint32_t lx_ksview_count(const lx_ksview_t *v);
/* Symbol i's address (0 past the end). */
uint64_t lx_ksview_addr(const lx_ksview_t *v, uint32_t i);
/* Symbol i's type letter and name ("Tstart_kernel") into out; its length,
 * 0 when it does not decode or fit in cap. */
size_t lx_ksview_name(const lx_ksview_t *v, uint32_t i, char *out, size_t cap);
/* The lowest-numbered symbol called name. */
bool lx_ksview_find(const lx_ksview_t *v, const char *name, uint32_t *i);
/* Every symbol into t, as lx_kallsyms_decode. */
status_t lx_ksview_decode(const lx_ksview_t *v, lx_symtab_t *t, util_err_t *err);

/* ==== btf.c: BPF Type Format (Documentation/bpf/btf.rst) ==== */
typedef struct lx_btf lx_btf_t;

/* Parse a BTF blob; the blob is copied.  ptr_size is the guest's pointer
 * size (BTF does not record it). */
lx_btf_t *lx_btf_parse(const uint8_t *data, size_t len, unsigned ptr_size, util_err_t *err);
/* The same on a buffer from util_sys_big_new that it takes (freed on
 * failure too): the kernel's BTF is megabytes, read once, and need not be
 * copied again.  A big buffer, not malloc's, so that lx_btf_release hands
 * the pages back to the host (see sys.h). */
lx_btf_t *lx_btf_adopt(uint8_t *data, size_t len, unsigned ptr_size, util_err_t *err);
/* The same on bytes it only reads (an image mapped in place, core_map_static):
 * they must outlive the index and stay unchanged. */
lx_btf_t *lx_btf_borrow(const uint8_t *data, size_t len, unsigned ptr_size, util_err_t *err);
void lx_btf_free(lx_btf_t *b);
size_t lx_btf_type_count(const lx_btf_t *b);
/* Byte offset of a member of struct/union `strct`.  member may be a path:
 * "core_layout.base", "mem[1].size"; anonymous structs and unions are
 * searched through.  Fails (with reason) when a step is missing or a
 * bitfield. */
status_t lx_btf_offset(const lx_btf_t *b, const char *strct, const char *member,
                       uint64_t *off, util_err_t *err);
/* Size of a struct/union by name. */
status_t lx_btf_struct_size(const lx_btf_t *b, const char *strct, uint64_t *size,
                            util_err_t *err);
/* Element count of an array member (a path as above); fails when the member
 * is not an array. */
status_t lx_btf_array_len(const lx_btf_t *b, const char *strct, const char *member,
                          uint64_t *count, util_err_t *err);
/* Is there a struct/union of this name? */
bool lx_btf_has_struct(const lx_btf_t *b, const char *strct);
/* Checks the header at data: magic, version, section bounds.  For the
 * memory scan; len may be larger than the blob.  *total gets the blob size. */
bool lx_btf_header_ok(const uint8_t *data, size_t len, size_t *total);

/* ==== Offsets the layer uses, by libvmi.conf name ==== */
typedef enum lx_off {
    LX_OFF_TASKS,       /* linux_tasks: task_struct.tasks */
    LX_OFF_MM,          /* linux_mm: task_struct.mm */
    LX_OFF_PID,         /* linux_pid: task_struct.pid */
    LX_OFF_NAME,        /* linux_name: task_struct.comm */
    LX_OFF_PGD,         /* linux_pgd: mm_struct.pgd */
    LX_OFF_TGID,        /* linux_tgid: task_struct.tgid (TinyVMI) */
    LX_OFF_PARENT,      /* linux_real_parent: task_struct.real_parent (TinyVMI) */
    LX_OFF_MOD_LIST,    /* linux_module_list: module.list (TinyVMI) */
    LX_OFF_MOD_NAME,    /* linux_module_name: module.name (TinyVMI) */
    LX_OFF_MOD_BASE,    /* linux_module_base: module.core_layout.base (TinyVMI) */
    LX_OFF_MOD_SIZE,    /* linux_module_size: module.core_layout.size (TinyVMI) */
    LX_OFF_COUNT
} lx_off_t;

typedef struct lx_off_desc {
    const char *key;    /* libvmi.conf name */
    const char *strct;  /* BTF struct */
    const char *member; /* BTF member path */
    const char *alt;    /* another member path to try (newer kernels), or NULL */
} lx_off_desc_t;
extern const lx_off_desc_t lx_off_desc[LX_OFF_COUNT];

/* Where a value came from, for vmi-linux-offsets and error messages. */
typedef enum lx_src {
    LX_SRC_NONE = 0,
    LX_SRC_CONFIG,
    LX_SRC_BTF,
    LX_SRC_HEURISTIC,
    LX_SRC_DEFAULT,
} lx_src_t;

/* "config", "BTF", "heuristic"...: where an offset came from (offsets.c). */
const char *lx_src_name(lx_src_t src);

/* ==== image.c: the 64-bit kernel image, from a page table ==== */
#define LX_IMAGE_MAX_RUNS 32
/* Mapped pages of the image at one permission, contiguous in both spaces. */
typedef struct lx_image_run {
    addr_t va, pa;
    uint64_t len;
    bool ro;                  /* read-only data: not writable, not executable */
} lx_image_run_t;
typedef struct lx_image {
    addr_t root;              /* the root it was read through */
    bool trampoline;          /* that root is the real-mode trampoline's */
    uint64_t delta;           /* va - pa of every image page */
    addr_t va_lo, va_hi;      /* first mapped image byte, end of the last */
    addr_t pa_lo;             /* physical address of va_lo */
    addr_t banner_pa;         /* the "Linux version" text found in it */
    size_t nruns;
    lx_image_run_t runs[LX_IMAGE_MAX_RUNS]; /* ascending; holes are freed init memory */
} lx_image_t;
/* Where a 64-bit kernel image is: through the core's root when it has one,
 * else through the real-mode trampoline's table below 1 MiB.  banner_va:
 * linux_banner from a map (link-time or runtime), 0 when there is none
 * (the banner is then searched for in the image).  False (and *img
 * zeroed, no reason left) when no root maps a kernel image there: 32-bit
 * kernels, other systems.  Reads no more than the image's pages up to its
 * banner, and page tables. */
bool lx_image_find(vmi_instance_t vmi, addr_t banner_va, lx_image_t *img);

/* ==== image32.c: the 32-bit kernel image, from the trampoline header ==== */
/* Where a 32-bit kernel image is, from the real-mode trampoline's header
 * below 1 MiB: *text_pa the page of its head text (startup_32_smp), *data_pa
 * boot_gdt in its .data; .rodata lies between the two.  False (no reason
 * left) when low memory holds no such header: 64-bit kernels, Xen PV,
 * other systems.  Reads the first MiB and 16 bytes per candidate. */
bool lx_image32_find(vmi_instance_t vmi, addr_t *text_pa, addr_t *data_pa);

/* ==== The layer's state ==== */
typedef struct lx_state {
    unsigned width;           /* 4 or 8 */
    bool width_guessed;       /* find_root's guess (8): kallsyms may take 4 */
    arch_x86_mode_t mode;
    addr_t kdtb;              /* kernel page table (physical), 0 until known */

    lx_symtab_t *syms;
    char sym_source[160];     /* "System.map /path", "kallsyms in guest memory" */
    bool runtime_syms;        /* addresses already include the KASLR slide */
    bool syms_chosen;         /* compiled-in symbols: maybe a chosen few */
    uint64_t kaslr;           /* slide added to System.map addresses */

    lx_btf_t *btf;            /* NULL when the kernel has none / not loaded */
    bool btf_tried;
    /* Where BTF was read from, so that lx_btf_release may drop it and the
     * next lx_btf_load read it again: __start_BTF..__stop_BTF, or the
     * physical place the search of memory found it (btf_len 0: neither). */
    bool btf_from_syms;
    addr_t btf_pa;
    size_t btf_len;
    char btf_why[200];        /* why there is no BTF */

    /* The kernel image: va = pa + image_delta, once known. */
    bool have_image_delta;
    uint64_t image_delta;
    uint64_t image_pa;        /* a physical address inside the image */
    /* Physical address of a kallsyms candidate whose token table was
     * valid, 0 if none: found before paging was known (find_root), it is
     * tried first when the tables are read again with the right width or
     * with the page table that place-relative addresses need. */
    addr_t ks_hint;
    /* Where the kernel's banners begin, when detect found it: the first
     * "Linux version" banner of the image the trampoline header placed
     * (image32.c), else the first in physical memory.  Searches for parts
     * of the image start there: the kallsyms tables lie above linux_banner
     * in .rodata, the root after it (a banner below the image is a copy,
     * the log's, not the kernel's). */
    bool have_first_banner;
    addr_t first_banner;
    /* The image as a page table maps it (image.c), when found: the scans
     * for kallsyms and BTF look there first. */
    bool have_image;
    lx_image_t image;

    addr_t init_task;         /* runtime va */
    addr_t modules;           /* runtime va of the `modules` list head, 0 unknown */
    uint64_t off[LX_OFF_COUNT];
    lx_src_t off_src[LX_OFF_COUNT];
    bool parent_tried;        /* lx_offsets_parent ran */
    /* 6.4+: struct module has mem[MOD_MEM_NUM_TYPES] instead of layouts; the
     * size shown by /proc/modules is the sum over all of them. */
    unsigned mod_mem_count;
    uint64_t mod_mem_stride;

    char banner[256];         /* "Linux version ..." as found, or "" */
} lx_state_t;

/* ==== read.c: kernel reads for the layer ==== */
/* Read len bytes at kernel va: through the kernel page table once known,
 * else through the kernel image's fixed va - pa relation.  On failure the
 * instance's reason names va. */
status_t lx_read(vmi_instance_t vmi, const lx_state_t *st, addr_t va, void *buf, size_t len);
status_t lx_read_ptr(vmi_instance_t vmi, const lx_state_t *st, addr_t va, addr_t *out);
status_t lx_read_u32(vmi_instance_t vmi, const lx_state_t *st, addr_t va, uint32_t *out);
/* Translate kernel va to physical through the kernel page table (or the image
 * relation before it is known). */
status_t lx_kv2p(vmi_instance_t vmi, const lx_state_t *st, addr_t va, addr_t *pa);
/* Copy a fixed-size char array (comm, module name) from guest memory and
 * terminate it: never reads more than cap bytes, never returns more than
 * cap - 1 characters. */
status_t lx_read_chars(vmi_instance_t vmi, const lx_state_t *st, addr_t va, char *out,
                       size_t cap);
/* The one rule for "is this a kernel address" (everything that judges a
 * pointer goes through it).  32-bit: at or above 0x40000000, the lowest
 * PAGE_OFFSET Linux can be built with (CONFIG_VMSPLIT_1G; the usual split
 * puts it at 0xC0000000), and within 32 bits.  64-bit: the upper half,
 * from 0xffff800000000000 with 4-level paging and from 0xff00000000000000
 * with 5-level (la57). */
bool lx_kernel_half(addr_t va, unsigned width, bool la57);
/* Is va a plausible kernel pointer for this guest (lx_kernel_half with the
 * guest's width and paging mode)? */
bool lx_is_kernel_va(const lx_state_t *st, addr_t va);

/* A walk over a guest `struct list_head` ring: the OS-wide walk
 * (os/walk.h) with Linux's pointers and kernel-address rule.  Step with
 * os_walk_next, end with os_walk_done. */
void lx_walk_init(os_walk_t *w, const lx_state_t *st, addr_t head, size_t limit,
                  const char *what);

/* ==== locate.c ==== */
/* Scan physical memory from the bottom for the banner "Linux version "
 * (followed by a digit); *pa the first.  False when there is none. */
bool lx_first_banner(vmi_instance_t vmi, addr_t *pa);
/* The same in physical [lo, hi) only. */
bool lx_first_banner_within(vmi_instance_t vmi, addr_t lo, addr_t hi, addr_t *pa);
/* Find the image (lx_image_find) unless known or the kernel is 32-bit, and
 * take its va - pa relation when none is known yet. */
void lx_image_known(vmi_instance_t vmi, lx_state_t *st);
/* The physical range [*lo, *hi) that holds the kernel image, from the
 * symbols and the image relation, when no page table showed the image. */
bool lx_image_window(const lx_state_t *st, addr_t *lo, addr_t *hi);
/* Its read-only data and data, [_etext, _sinittext) (.BTF, __ksymtab):
 * false when the symbols do not give both ends. */
bool lx_rodata_window(const lx_state_t *st, addr_t *lo, addr_t *hi);
/* Zero configuration: find and decode kallsyms in physical memory. */
status_t lx_kallsyms_load(vmi_instance_t vmi, lx_state_t *st);
/* Find the KASLR slide of System.map symbols (st->kaslr) and relocate. */
status_t lx_find_kaslr(vmi_instance_t vmi, lx_state_t *st);
/* Before init, on an image without a root (os_ops_t.find_root): offer the
 * root the symbols in st place, found through the banner probe.  True when
 * the core took it. */
bool lx_offer_root(vmi_instance_t vmi, const lx_state_t *st);
/* The same for a 32-bit kernel whose symbols do not place its root: the
 * root searched for in the 64 MiB after the banner, by the fixed layout
 * (va = pa + PAGE_OFFSET), from the banners from 64 MiB below near (a
 * physical address in the image: kallsyms' tables; 0 when unknown) up,
 * never from below first_banner (lx_state_t's, when known: else NULL);
 * page_offset: the PAGE_OFFSET tried first and alone (0: each of them).
 * True when the core took one. */
bool lx_offer_root_layout32(vmi_instance_t vmi, addr_t near, const addr_t *first_banner,
                            uint32_t page_offset);
/* A 32-bit kernel's PAGE_OFFSET from where its kallsyms tables lie
 * (st->image_pa): the one of x86-32's that puts them inside the range of
 * its text symbols.  False when none does, or the kernel is not 32-bit. */
bool lx_tables_page_offset(const lx_state_t *st, uint32_t *page_offset);
/* Find the kernel's own page table (swapper) and tell the core. */
status_t lx_find_kpgd(vmi_instance_t vmi, lx_state_t *st);
/* Load BTF (once); false (with st->btf_why) when the kernel has none. */
bool lx_btf_load(vmi_instance_t vmi, lx_state_t *st);
/* After start-up: drop the parsed BTF (megabytes) when lx_btf_load can
 * read it again without a search (from its symbols, or from where a search
 * found it); the next lx_btf_load does. */
void lx_btf_release(lx_state_t *st);
/* The physical scan helper: call fn on every chunk of physical memory in
 * ascending order, chunk by chunk with `overlap` bytes repeated so that
 * patterns across a chunk border are seen.  fn returns true to stop. */
typedef bool (*lx_scan_fn)(void *ctx, addr_t pa, const uint8_t *buf, size_t len);
void lx_scan_physical(vmi_instance_t vmi, size_t overlap, lx_scan_fn fn, void *ctx);
/* The same, limited to guest-physical [lo, hi). */
void lx_scan_physical_within(vmi_instance_t vmi, uint64_t lo, uint64_t hi, size_t overlap,
                             lx_scan_fn fn, void *ctx);

/* ==== ksymtab.c ==== */
/* An exported symbol's runtime address from __ksymtab (needs the image's
 * va - pa relation). */
status_t lx_ksymtab_find(vmi_instance_t vmi, lx_state_t *st, const char *name, addr_t *va);

/* ==== symbols, for every part ==== */
/* A symbol's runtime address (slide applied); false when unknown. */
bool lx_sym(const lx_state_t *st, const char *name, addr_t *va);

/* ==== switch.c ==== */
/* Where this kernel switches address space (os_cr3_switch_t, os.h). */
struct os_cr3_switch;
status_t lx_cr3_switch(vmi_instance_t vmi, void *state, struct os_cr3_switch *out);

/* ==== offsets.c ==== */
/* Fill st->off[] from config, then BTF, then heuristics, for the offsets
 * the process list needs; fails naming what is missing and the keys that
 * would supply it. */
status_t lx_offsets_init(vmi_instance_t vmi, lx_state_t *st);
/* Module offsets, on first use. */
status_t lx_offsets_modules(vmi_instance_t vmi, lx_state_t *st);
/* linux_real_parent (and linux_tgid) on first use, when not configured;
 * leaves them unknown (ppid -1) when nothing gives them. */
void lx_offsets_parent(vmi_instance_t vmi, lx_state_t *st);
/* vmi_get_offset: by libvmi.conf name. */
status_t lx_get_offset(vmi_instance_t vmi, lx_state_t *st, const char *name, addr_t *off);
/* Record a value for vmi_get_offset / vmi-linux-offsets. */
void lx_publish(vmi_instance_t vmi, const char *key, uint64_t value);

/* ==== heuristic.c ==== */
/* Find tasks, pid, comm, mm, mm.pgd offsets by looking at init_task and the
 * tasks that follow it.  Fills only the entries whose off_src is NONE. */
status_t lx_heuristic_offsets(vmi_instance_t vmi, lx_state_t *st);

/* ==== tasks.c ==== */
status_t lx_process_foreach(vmi_instance_t vmi, void *state, tvmi_process_fn fn, void *ctx);
status_t lx_pid_to_dtb(vmi_instance_t vmi, void *state, vmi_pid_t pid, addr_t *dtb);
status_t lx_dtb_to_pid(vmi_instance_t vmi, void *state, addr_t dtb, vmi_pid_t *pid);
/* The physical page-table base of the mm_struct at mm (kernel va). */
status_t lx_mm_to_dtb(vmi_instance_t vmi, const lx_state_t *st, addr_t mm, addr_t *dtb);

/* ==== modules.c ==== */
status_t lx_module_foreach(vmi_instance_t vmi, void *state, tvmi_module_fn fn, void *ctx);
/* The `modules` list head: the symbol, else the search described in
 * modules.c.  Sets st->modules. */
status_t lx_modules_head(vmi_instance_t vmi, lx_state_t *st);
/* Module base and size offsets guessed from the loaded modules (needs
 * st->modules and the list and name offsets). */
status_t lx_module_layout_heuristic(vmi_instance_t vmi, lx_state_t *st);
/* Where struct module keeps base and size, guessed from copies of loaded
 * modules (pure, for the heuristic above and unit tests). */
typedef struct lx_mod_layout {
    uint64_t base, size;   /* offsets of the base pointer and the u32 size */
    unsigned mem_count;    /* 6.4+: mem[] entries whose sizes add up; else 0 */
    uint64_t mem_stride;   /* and their distance */
    const char *kind;      /* which generation of struct module */
} lx_mod_layout_t;
/* mods[i]: the first len bytes of module i's struct module, which is at
 * guest address addr[i]; from: the first offset after module.name. */
bool lx_module_layout_guess(const uint8_t *const *mods, const uint64_t *addr, size_t n,
                            size_t len, size_t from, unsigned w, lx_mod_layout_t *out);

#endif
