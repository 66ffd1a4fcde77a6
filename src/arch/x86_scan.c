/*
 * x86_scan.c - finding the paging mode and a kernel page-table root in a
 * raw memory image that comes without registers.
 *
 * What a root must look like, from the architecture and from what every
 * kernel must do with it:
 *
 *  1. Every present entry obeys the entry format of its level (reserved
 *     bits clear, PS only where it means a page, large pages aligned) and
 *     every entry that points to a table points into memory: [4 KiB,
 *     max_pa).  Page 0 is excluded because firmware owns it on every PC,
 *     and small odd integers in ordinary data would otherwise look like
 *     pointers to it.  Random data fails this within a few words.
 *  2. The kernel part is populated and clean: at least one present entry
 *     in the kernel half (IA-32e indices 256-511 of the root, PAE's fourth
 *     PDPTE, the upper quarter of a 32-bit directory: both Linux's 3G/1G
 *     split and Windows' 2G/2G put the kernel there), and no non-present
 *     entry there that is not zero.  A kernel never leaves software bits in
 *     its own top-level entries; arrays of aligned pointers would otherwise
 *     pass, as every word of them is "not present".
 *  3. Below the kernel part, every table is a valid table of the next
 *     level, and the kernel part maps something.  Each kernel entry's
 *     subtree is probed: the child table is checked entry by entry (a
 *     non-present non-zero entry is rejected above the PT level, as in
 *     rule 2), then the probe follows the first and the last table pointer
 *     of each table down to the PT level.  A subtree "maps" when the probe
 *     meets a large page, or a PT most of whose present entries map
 *     distinct frames in memory other than page 0 (data seen as a PT names
 *     frames all over the address space, or small numbers that all name
 *     frame 0; this matters most for 32-bit PTEs, which have no reserved
 *     bits at all).  Any invalid table rejects the root.  The score of a
 *     root is the number of kernel entries whose subtree maps, and must be
 *     at least 1.  This rule tells a real root from a page table one level
 *     down: a PT's "children" are data pages, which rarely survive the
 *     checks, and a PT over free memory maps nothing.
 *  4. Per mode: IA-32e roots are 4 KiB pages and their PS bits must be
 *     clear.  PAE roots are 32-byte groups of four PDPTEs (so CR3 need not
 *     be page aligned), with only P, PWT, PCD, A (see x86_entry.h) and the
 *     address allowed, the fourth present, and no two pointing at the same
 *     directory.  32-bit directories are 4 KiB pages of 1024 entries; a
 *     64-bit table seen as 32-bit entries has present entries only at even
 *     indices (the odd words are the high halves), so a directory whose
 *     present kernel entries all sit at even indices is rejected when there
 *     are several.  32-bit paging has so few reserved bits that rules 1-3
 *     still let a full page table pass as a directory (its children, kernel
 *     data, can look like PTs); what such a page rarely does is map itself,
 *     while every kernel must reach its own page directory to edit it
 *     (Linux through the direct map, Windows through its self-map entry).
 *     So 32-bit directories whose kernel part maps their own page rank
 *     first.
 *  5. 4 versus 5 levels: a 5-level root read as 4 levels is always valid
 *     (its PML4s pass as PDPTs, its PDPTs as directories), but a 4-level
 *     root read as 5 levels makes its PDPTs into PML4s (where PS is
 *     reserved), its 2 MiB pages into 1 GiB pages (misaligned), and its
 *     data pages into page tables.  And in a 5-level guest every PML4
 *     under the root passes as a 4-level root too.  So an IA-32e root that
 *     also passes rules 1-3 as a 5-level root ranks before every 4-level
 *     one, and is offered as 5-level first, then as 4-level.
 *
 * Ranking: IA-32e, then PAE, then 32-bit paging (the modes with more
 * reserved bits give stronger evidence); within a mode, rule 5 or rule 4's
 * self-map first, then higher score, then fewer user-half entries (the
 * kernel's own root, e.g. Linux's init_top_pgt or Windows' System DTB, maps
 * no user space), then lower address.  Every process root shares the
 * kernel half, so which one comes first is a tie the image cannot break:
 * on real Linux images the root found is a valid kernel root but usually
 * not the CR3 of the process that was running.  The caller's accept
 * callback, when given, has the last word.
 *
 * Bounds: one sequential pass over [0, max_pa), stepping over holes at once
 * when the walker says where memory resumes; at most SCAN_CAP candidates
 * kept per mode, a candidate probed only when it could enter that list;
 * at most SCAN_BUDGET table reads per probed root; probed subtrees are
 * remembered in a fixed-size table, so the kernel tables that every process
 * shares are read once.  Probing follows pointers but has a fixed depth, so
 * self-referencing tables end like any other.
 *
 * This file must not decide anything about operating systems beyond the
 * kernel-half convention above, and must not trust any value it reads.
 */
#include "arch/x86.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_entry.h"

#define SCAN_CAP     32    /* candidates kept per mode */
#define SCAN_BUDGET  1024  /* table reads per probed root */
#define SCAN_MEMO    8192  /* remembered subtree verdicts (power of two) */

typedef enum subtree {
    SUB_EMPTY,  /* valid, maps nothing the probe saw */
    SUB_MAPS,   /* valid and maps at least one page */
    SUB_BAD,    /* some table is not a valid table */
} subtree_t;

typedef struct cand {
    addr_t dtb;
    uint32_t kernel;  /* score: kernel entries whose subtree maps */
    uint32_t user;    /* present user-half entries */
    bool la57;        /* also valid as a 5-level root */
    bool selfmap;     /* 32-bit: its kernel part maps the directory itself */
} cand_t;

typedef struct cand_list {
    cand_t c[SCAN_CAP];
    unsigned n;
    unsigned found;   /* candidates that passed, kept or not */
} cand_list_t;

typedef struct memo_slot {
    uint64_t key;     /* 0 = empty */
    subtree_t verdict;
} memo_slot_t;

typedef struct scan {
    const arch_x86_walker_t *w;
    addr_t max_pa;
    x86_limits_t lim;        /* NX accepted: the scan cannot know EFER.NXE */
    unsigned budget;         /* table reads left for the current root */
    unsigned truncations;    /* times a budget ran out */
    uint64_t pages, unreadable;
    util_err_t scratch;      /* read failures land here, not in the caller's err */
    cand_list_t ia32e, pae, legacy;
    memo_slot_t memo[SCAN_MEMO];
} scan_t;

typedef union page_buf {
    unsigned char b[4096];
    uint64_t q[512];
} page_buf_t;

/* ---- Reading ---- */

static const unsigned char *scan_page(scan_t *s, addr_t pa, page_buf_t *buf)
{
    const arch_x86_walker_t *w = s->w;

    if (pa >= s->max_pa || (pa & 0xfff))
        return NULL;
    if (w->read_page)
        return w->read_page(w->ctx, pa, buf->b, &s->scratch);
    for (unsigned i = 0; i < 512; i++) {
        uint64_t v;
        if (w->read_entry(w->ctx, pa + 8 * i, 8, &v, &s->scratch) != VMI_SUCCESS)
            return NULL;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        v = __builtin_bswap64(v);
#endif
        buf->q[i] = v;
    }
    return buf->b;
}

static bool page_is_zero(const unsigned char *p)
{
    uint64_t acc = 0;
    for (unsigned i = 0; i < 4096; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        acc |= v;
    }
    return acc == 0;
}

/* ---- One entry, one table ---- */

/* Entries per table and the first kernel index of a root, by mode. */
static unsigned table_entries(arch_x86_mode_t mode)
{
    return mode == ARCH_X86_LEGACY ? 1024 : 512;
}

static uint64_t entry_at(arch_x86_mode_t mode, const unsigned char *p, unsigned i)
{
    return mode == ARCH_X86_LEGACY ? util_le32(p + 4 * i) : util_le64(p + 8 * i);
}

static x86_verdict_t classify(const scan_t *s, arch_x86_mode_t mode, unsigned level,
                              uint64_t e, uint64_t *out)
{
    switch (mode) {
    case ARCH_X86_LEGACY:
        return x86_legacy_entry((uint32_t)e, level, true, s->lim.m, out);
    case ARCH_X86_PAE:
        return x86_pae_entry(e, level, &s->lim, out);
    default:
        return x86_ia32e_entry(e, level, &s->lim, out);
    }
}

static bool table_target_ok(const scan_t *s, uint64_t target)
{
    return target >= 0x1000 && target < s->max_pa;
}

typedef struct tstat {
    unsigned present;      /* present entries */
    unsigned leaves;       /* of which map a page */
    unsigned leaves_ram;   /* of which map a page inside [0, max_pa) */
    unsigned leaves_new;   /* of which map another page than the leaf before */
    unsigned tables;       /* of which point to a table */
} tstat_t;

/* Rule 1 for a table that is not a root: every present entry valid, table
 * pointers into memory; non-present entries must be zero above the PT
 * level (rule 3) except in 32-bit tables' PTs. */
static bool table_ok(const scan_t *s, arch_x86_mode_t mode, unsigned level,
                     const unsigned char *p, tstat_t *st)
{
    unsigned n = table_entries(mode);
    uint64_t last_leaf = ~0ull;

    memset(st, 0, sizeof(*st));
    for (unsigned i = 0; i < n; i++) {
        uint64_t e = entry_at(mode, p, i), out;
        x86_verdict_t v;

        if (!e)
            continue;
        if (!(e & X86_P)) {
            if (level > 1)
                return false;
            continue;
        }
        v = classify(s, mode, level, e, &out);
        if (v == X86_TABLE) {
            if (!table_target_ok(s, out))
                return false;
            st->tables++;
        } else if (v == X86_LEAF) {
            st->leaves++;
            if (out >= 0x1000 && out < s->max_pa)
                st->leaves_ram++;
            if (out != last_leaf)
                st->leaves_new++;
            last_leaf = out;
        } else {
            return false;
        }
        st->present++;
    }
    return true;
}

/* ---- Probing a subtree (rule 3) ---- */

static uint64_t memo_key(arch_x86_mode_t mode, unsigned level, addr_t pa)
{
    return (pa & ~0xfffull) | ((uint64_t)level << 4) | (uint64_t)mode;
}

static memo_slot_t *memo_slot(scan_t *s, uint64_t key)
{
    uint64_t h = key * 0x9e3779b97f4a7c15ull;
    return &s->memo[(h >> 40) & (SCAN_MEMO - 1)];
}

/* The index of the k-th table pointer in a table (k counted from 0). */
static unsigned nth_table(const scan_t *s, arch_x86_mode_t mode, unsigned level,
                          const unsigned char *p, unsigned k, uint64_t *target)
{
    unsigned n = table_entries(mode);
    for (unsigned i = 0; i < n; i++) {
        uint64_t e = entry_at(mode, p, i), out;
        if ((e & X86_P) && classify(s, mode, level, e, &out) == X86_TABLE) {
            if (k-- == 0) {
                *target = out;
                return i;
            }
        }
    }
    return n;
}

static subtree_t probe(scan_t *s, arch_x86_mode_t mode, unsigned level, addr_t pa)
{
    uint64_t key = memo_key(mode, level, pa), kids[2];
    memo_slot_t *slot = memo_slot(s, key);
    unsigned before = s->truncations, nkids = 0;
    const unsigned char *p;
    page_buf_t buf;
    subtree_t verdict;
    tstat_t st;

    if (slot->key == key)
        return slot->verdict;
    if (s->budget == 0) {
        s->truncations++;
        return SUB_EMPTY;
    }
    s->budget--;

    p = scan_page(s, pa, &buf);
    if (!p || !table_ok(s, mode, level, p, &st)) {
        verdict = SUB_BAD;
    } else if (level == 1) {
        /* A page of data seen as a PT (a 32-bit PTE cannot even be invalid)
         * shows frames all over the address space, or small numbers that
         * all name frame 0; a kernel PT maps mostly distinct frames in
         * memory. */
        verdict = (st.leaves && 2 * st.leaves_ram >= st.leaves &&
                   2 * st.leaves_new >= st.leaves) ? SUB_MAPS : SUB_EMPTY;
    } else {
        verdict = st.leaves ? SUB_MAPS : SUB_EMPTY;
        /* Follow the first and the last table pointer.  Taken before
         * recursing: p may be the caller's memory, valid until the next
         * read. */
        if (st.tables) {
            nth_table(s, mode, level, p, 0, &kids[nkids++]);
            if (st.tables > 1)
                nth_table(s, mode, level, p, st.tables - 1, &kids[nkids++]);
        }
        for (unsigned k = 0; k < nkids; k++) {
            subtree_t sub;
            if ((kids[k] & ~0xfffull) == (pa & ~0xfffull))
                continue;   /* a table listing itself: nothing new below */
            sub = probe(s, mode, level - 1, kids[k]);
            if (sub == SUB_BAD) {
                verdict = SUB_BAD;
                break;
            }
            if (sub == SUB_MAPS)
                verdict = SUB_MAPS;
        }
    }
    /* A verdict cut short by the budget is not the whole truth. */
    if (s->truncations == before || verdict == SUB_BAD) {
        slot->key = key;
        slot->verdict = verdict;
    }
    return verdict;
}

/* ---- Candidate lists ---- */

static bool cand_better(const cand_t *a, const cand_t *b)
{
    if (a->la57 != b->la57)
        return a->la57;
    if (a->selfmap != b->selfmap)
        return a->selfmap;
    if (a->kernel != b->kernel)
        return a->kernel > b->kernel;
    if (a->user != b->user)
        return a->user < b->user;
    return a->dtb < b->dtb;
}

static unsigned cand_worst(const cand_list_t *l)
{
    unsigned worst = 0;
    for (unsigned i = 1; i < l->n; i++)
        if (cand_better(&l->c[worst], &l->c[i]))
            worst = i;
    return worst;
}

/* Could a candidate with at most this score enter the list? */
static bool cand_could_enter(const cand_list_t *l, uint32_t max_kernel, uint32_t user,
                             addr_t dtb)
{
    cand_t probe_c = { dtb, max_kernel, user, true, true };
    return l->n < SCAN_CAP || cand_better(&probe_c, &l->c[cand_worst(l)]);
}

static void cand_add(cand_list_t *l, const cand_t *c)
{
    l->found++;
    if (l->n < SCAN_CAP) {
        l->c[l->n++] = *c;
        return;
    }
    unsigned worst = cand_worst(l);
    if (cand_better(c, &l->c[worst]))
        l->c[worst] = *c;
}

static int cand_cmp(const void *a, const void *b)
{
    const cand_t *x = a, *y = b;
    return cand_better(x, y) ? -1 : cand_better(y, x) ? 1 : 0;
}

/* ---- Roots, one mode at a time ---- */

/* Rules 1-2 on a page as an IA-32e root: pure, reads nothing else. */
static bool ia32e_root_ok(const scan_t *s, unsigned level, const unsigned char *p,
                          uint32_t *kernel, uint32_t *user)
{
    *kernel = *user = 0;
    /* Kernel half first: that is where garbage is told apart fastest. */
    for (unsigned i = 256; i < 512; i++) {
        uint64_t e = util_le64(p + 8 * i), out;
        if (!e)
            continue;
        if (!(e & X86_P))
            return false;
        if (x86_ia32e_entry(e, level, &s->lim, &out) != X86_TABLE || !table_target_ok(s, out))
            return false;
        (*kernel)++;
    }
    if (!*kernel)
        return false;
    for (unsigned i = 0; i < 256; i++) {
        uint64_t e = util_le64(p + 8 * i), out;
        if (!(e & X86_P))
            continue;
        if (x86_ia32e_entry(e, level, &s->lim, &out) != X86_TABLE || !table_target_ok(s, out))
            return false;
        (*user)++;
    }
    return true;
}

/* Rule 3 on an IA-32e root already past rules 1-2: the score, or -1. */
static int ia32e_root_score(scan_t *s, unsigned level, addr_t pa, const unsigned char *p)
{
    int score = 0;

    s->budget = SCAN_BUDGET;
    for (unsigned i = 256; i < 512; i++) {
        uint64_t e = util_le64(p + 8 * i), out;
        subtree_t sub;
        if (!e)
            continue;
        x86_ia32e_entry(e, level, &s->lim, &out);
        if ((out & ~0xfffull) == pa)
            continue;   /* the self-map entry (Windows): the root itself */
        sub = probe(s, ARCH_X86_IA32E_4, level - 1, out);
        if (sub == SUB_BAD)
            return -1;
        if (sub == SUB_MAPS)
            score++;
    }
    return score;
}

/* PAE rules 1-2 and 4 on one 32-byte group: pure. */
static bool pae_root_ok(const scan_t *s, const uint64_t e[4])
{
    uint64_t t[4], out;

    for (unsigned i = 0; i < 4; i++) {
        t[i] = 0;
        if (!e[i])
            continue;
        if (x86_pae_entry(e[i], 3, &s->lim, &out) != X86_TABLE || !table_target_ok(s, out))
            return false;
        t[i] = out;
        for (unsigned j = 0; j < i; j++)
            if (t[j] == t[i])
                return false;
    }
    return t[3] != 0;
}

/* PAE rule 3: kernel = the fourth directory maps, user = the others that
 * map; -1 when a directory is not valid. */
static int pae_root_score(scan_t *s, const uint64_t e[4], uint32_t *user)
{
    int kernel = 0;

    s->budget = SCAN_BUDGET;
    *user = 0;
    for (unsigned i = 0; i < 4; i++) {
        uint64_t out;
        subtree_t sub;
        if (!e[i])
            continue;
        x86_pae_entry(e[i], 3, &s->lim, &out);
        sub = probe(s, ARCH_X86_PAE, 2, out);
        if (sub == SUB_BAD)
            return -1;
        if (sub == SUB_MAPS) {
            if (i == 3)
                kernel = 1;
            else
                (*user)++;
        }
    }
    return kernel;
}

/* 32-bit rules 1-2 and 4: pure. */
static bool legacy_root_ok(const scan_t *s, const unsigned char *p, uint32_t *kernel,
                           uint32_t *user)
{
    unsigned odd = 0;

    *kernel = *user = 0;
    for (unsigned i = 768; i < 1024; i++) {
        uint32_t e = util_le32(p + 4 * i);
        uint64_t out;
        x86_verdict_t v;
        if (!e)
            continue;
        if (!(e & X86_P))
            return false;
        v = x86_legacy_entry(e, 2, true, s->lim.m, &out);
        if (v == X86_TABLE ? !table_target_ok(s, out) : v != X86_LEAF)
            return false;
        (*kernel)++;
        odd += i & 1;
    }
    if (!*kernel || (*kernel > 1 && !odd))
        return false;
    for (unsigned i = 0; i < 768; i++) {
        uint32_t e = util_le32(p + 4 * i);
        uint64_t out;
        x86_verdict_t v;
        if (!(e & X86_P))
            continue;
        v = x86_legacy_entry(e, 2, true, s->lim.m, &out);
        if (v == X86_TABLE ? !table_target_ok(s, out) : v != X86_LEAF)
            return false;
        (*user)++;
    }
    return true;
}

/* Does this PT map the page at pa? */
static bool pt_maps(scan_t *s, addr_t pt, addr_t pa)
{
    page_buf_t buf;
    const unsigned char *p = scan_page(s, pt, &buf);

    if (!p)
        return false;
    for (unsigned i = 0; i < 1024; i++) {
        uint32_t e = util_le32(p + 4 * i);
        if ((e & X86_P) && (e & 0xfffff000u) == pa)
            return true;
    }
    return false;
}

/* 32-bit rule 3, and whether the directory's kernel part maps its own page
 * (every kernel must reach its page directory to edit it: Linux through
 * the direct map, Windows through its self-map entry; a page table seen
 * as a directory rarely does). */
static int legacy_root_score(scan_t *s, addr_t pa, const unsigned char *p, bool *selfmap)
{
    int score = 0;

    s->budget = SCAN_BUDGET;
    *selfmap = false;
    for (unsigned i = 768; i < 1024; i++) {
        uint32_t e = util_le32(p + 4 * i);
        uint64_t out;
        if (!e)
            continue;
        if (x86_legacy_entry(e, 2, true, s->lim.m, &out) == X86_LEAF) {
            score += out >= 0x1000 && out < s->max_pa;
            if (pa - out < 0x400000)
                *selfmap = true;
        } else if (out == pa) {
            *selfmap = true;
        } else if (probe(s, ARCH_X86_LEGACY, 1, out) == SUB_MAPS) {
            score++;
        }
    }
    /* No large page or self-entry does it: look in the page tables. */
    for (unsigned i = 768; i < 1024 && !*selfmap && score > 0; i++) {
        uint32_t e = util_le32(p + 4 * i);
        uint64_t out;
        if ((e & X86_P) && x86_legacy_entry(e, 2, true, s->lim.m, &out) == X86_TABLE &&
            out != pa)
            *selfmap = pt_maps(s, out, pa);
    }
    return score;
}

/* Rule 5: is this IA-32e root (p, a private copy) also a valid 5-level
 * root? */
static bool ia32e_is_la57(scan_t *s, addr_t pa, const unsigned char *p)
{
    uint32_t kernel, user;
    return ia32e_root_ok(s, 5, p, &kernel, &user) && ia32e_root_score(s, 5, pa, p) > 0;
}

/* ---- The pass ---- */

static void pae_group(const unsigned char *p, unsigned off, uint64_t g[4])
{
    for (unsigned i = 0; i < 4; i++)
        g[i] = util_le64(p + off + 8 * i);
}

/* Every check on one page of memory, as an IA-32e root, a 32-bit
 * directory, and 128 PAE groups. */
static void scan_page_roots(scan_t *s, addr_t pa, const unsigned char *p)
{
    page_buf_t copy;
    uint32_t ia_kernel, ia_user, lg_kernel, lg_user;
    bool ia32e = false, legacy = false;
    uint16_t groups[128];
    unsigned ngroups = 0;

    /* The pure checks, on the page as read.  A root is probed only if its
     * count of kernel entries (its best possible score) could enter the
     * list. */
    if (ia32e_root_ok(s, 4, p, &ia_kernel, &ia_user))
        ia32e = cand_could_enter(&s->ia32e, ia_kernel, ia_user, pa);
    if (legacy_root_ok(s, p, &lg_kernel, &lg_user))
        legacy = cand_could_enter(&s->legacy, lg_kernel, lg_user, pa);
    for (unsigned off = 0; off < 4096; off += 32) {
        uint64_t g[4];
        /* P set and the bits a PDPTE reserves clear: the cheap filter. */
        if ((util_le64(p + off + 24) & (X86_PDPTE_RSV | X86_P)) != X86_P)
            continue;
        pae_group(p, off, g);
        if (pae_root_ok(s, g) && cand_could_enter(&s->pae, 1, 0, pa + off))
            groups[ngroups++] = (uint16_t)off;
    }
    if (!ia32e && !legacy && !ngroups)
        return;

    /* Probing reads other pages, after which p may be gone. */
    memcpy(copy.b, p, sizeof(copy.b));
    p = copy.b;

    if (ia32e) {
        int score = ia32e_root_score(s, 4, pa, p);
        if (score > 0) {
            cand_t c = { pa, (uint32_t)score, ia_user, ia32e_is_la57(s, pa, p), false };
            cand_add(&s->ia32e, &c);
        }
    }
    if (legacy) {
        bool selfmap;
        int score = legacy_root_score(s, pa, p, &selfmap);
        if (score > 0) {
            cand_t c = { pa, (uint32_t)score, lg_user, false, selfmap };
            cand_add(&s->legacy, &c);
        }
    }
    for (unsigned gi = 0; gi < ngroups; gi++) {
        uint64_t g[4];
        uint32_t user;
        int score;
        pae_group(p, groups[gi], g);
        score = pae_root_score(s, g, &user);
        if (score > 0) {
            cand_t c = { pa + groups[gi], (uint32_t)score, user, false, false };
            cand_add(&s->pae, &c);
        }
    }
}


static void scan_memory(scan_t *s)
{
    page_buf_t buf;

    for (addr_t pa = 0; pa + 4096 <= s->max_pa && pa + 4096 > pa; pa += 4096) {
        const unsigned char *p = scan_page(s, pa, &buf);
        s->pages++;
        if (!p) {
            s->unreadable++;
            if (s->w->next_readable) {
                /* Skip the rest of the hole; the loop's step lands on it. */
                addr_t next = s->w->next_readable(s->w->ctx, pa + 4096) & ~(addr_t)0xfff;
                if (next > pa + 4096)
                    pa = next - 4096;
            }
            continue;
        }
        if (page_is_zero(p))
            continue;
        scan_page_roots(s, pa, p);
    }
}

/* Offer the candidates to accept in rank order; the first it takes wins. */
static bool scan_choose(scan_t *s, arch_x86_accept_fn accept, void *ctx,
                        arch_x86_mode_t *mode, addr_t *dtb)
{
    const struct {
        cand_list_t *list;
        arch_x86_mode_t mode;
    } order[] = {
        { &s->ia32e, ARCH_X86_IA32E_4 },
        { &s->pae, ARCH_X86_PAE },
        { &s->legacy, ARCH_X86_LEGACY },
    };

    for (unsigned o = 0; o < sizeof(order) / sizeof(order[0]); o++) {
        cand_list_t *l = order[o].list;
        for (unsigned i = 0; i < l->n; i++) {
            const cand_t *c = &l->c[i];
            arch_x86_mode_t m = order[o].mode;
            if (m == ARCH_X86_IA32E_4 && c->la57 &&
                (!accept || accept(ctx, ARCH_X86_IA32E_5, c->dtb))) {
                *mode = ARCH_X86_IA32E_5;
                *dtb = c->dtb;
                return true;
            }
            if (!accept || accept(ctx, m, c->dtb)) {
                *mode = m;
                *dtb = c->dtb;
                return true;
            }
        }
    }
    return false;
}

/* A scan over [0, max_pa) through w; NULL with a reason naming `what`. */
static scan_t *scan_new(const arch_x86_walker_t *w, addr_t max_pa, const char *what,
                        util_err_t *err)
{
    scan_t *s;
    if (!w || (!w->read_entry && !w->read_page)) {
        util_err_set(err, "%s: no way to read memory", what);
        return NULL;
    }
    s = calloc(1, sizeof(*s));
    if (!s) {
        util_err_set(err, "%s: out of memory", what);
        return NULL;
    }
    s->w = w;
    s->max_pa = max_pa;
    x86_limits_init(&s->lim, w->maxphyaddr, true);
    /* Tables beyond MAXPHYADDR cannot exist, whatever the image's size. */
    if (s->max_pa > (1ull << s->lim.m))
        s->max_pa = 1ull << s->lim.m;
    return s;
}

status_t arch_x86_scan_dtb_accept(const arch_x86_walker_t *w, addr_t max_pa,
                                  arch_x86_accept_fn accept, void *ctx,
                                  arch_x86_mode_t *mode, addr_t *dtb,
                                  util_err_t *err)
{
    scan_t *s;
    arch_x86_mode_t m = ARCH_X86_NONE;
    addr_t d = 0;
    bool found;

    if (!mode || !dtb || !(s = scan_new(w, max_pa, "x86 page-table scan", err)))
        return VMI_FAILURE;
    scan_memory(s);
    qsort(s->ia32e.c, s->ia32e.n, sizeof(cand_t), cand_cmp);
    qsort(s->pae.c, s->pae.n, sizeof(cand_t), cand_cmp);
    qsort(s->legacy.c, s->legacy.n, sizeof(cand_t), cand_cmp);

    found = scan_choose(s, accept, ctx, &m, &d);
    if (found) {
        *mode = m;
        *dtb = d;
    } else {
        util_err_set(err, "no x86 page-table root found in [0, 0x%" PRIx64 "): %" PRIu64
                     " pages scanned (%" PRIu64 " unreadable); candidates: %u IA-32e, "
                     "%u PAE, %u 32-bit%s", (uint64_t)max_pa, s->pages, s->unreadable,
                     s->ia32e.found, s->pae.found, s->legacy.found,
                     accept && (s->ia32e.n || s->pae.n || s->legacy.n)
                         ? ", none confirmed by the caller's check" : "");
    }
    free(s);
    return found ? VMI_SUCCESS : VMI_FAILURE;
}

/* Only the root the caller named, in whichever mode it is valid. */
static bool accept_root(void *ctx, arch_x86_mode_t mode, addr_t dtb)
{
    return arch_x86_dtb_base(mode, dtb) == arch_x86_dtb_base(mode, *(const addr_t *)ctx);
}

status_t arch_x86_root_mode(const arch_x86_walker_t *w, addr_t max_pa, addr_t root,
                            arch_x86_mode_t *mode, util_err_t *err)
{
    scan_t *s;
    page_buf_t buf;
    const unsigned char *p;
    addr_t d = 0;
    bool found = false;

    if (!mode || !(s = scan_new(w, max_pa, "x86 paging-mode check", err)))
        return VMI_FAILURE;
    p = scan_page(s, root & ~0xfffULL, &buf);
    if (p) {
        scan_page_roots(s, root & ~0xfffULL, p);
        found = scan_choose(s, accept_root, &root, mode, &d);
    }
    if (!found)
        util_err_set(err, "0x%" PRIx64 " is not a valid page-table root in any x86 mode%s",
                     (uint64_t)root, p ? "" : " (its page is not readable)");
    free(s);
    return found ? VMI_SUCCESS : VMI_FAILURE;
}

status_t arch_x86_scan_dtb(const arch_x86_walker_t *w, addr_t max_pa,
                           arch_x86_mode_t *mode, addr_t *dtb, util_err_t *err)
{
    return arch_x86_scan_dtb_accept(w, max_pa, NULL, NULL, mode, dtb, err);
}
