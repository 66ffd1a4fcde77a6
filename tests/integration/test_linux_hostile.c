/*
 * test_linux_hostile - the Linux layer on guest memory an attacker shaped.
 *
 * Each case copies a real guest's ram.raw (file offset == physical address),
 * patches kernel data the way a compromised or corrupted kernel could, and
 * checks that the walk ends (with an error when the structure is broken)
 * after reporting exactly what was read before the damage: a task list
 * turned into a cycle that misses init_task, a task linking to itself, a
 * NULL and an unmapped next pointer, a list 100001 entries long, a comm
 * without its NUL, a module list cycle.  Nothing here may hang or read past
 * a bound; ASan builds (make SAN=1) check the latter.
 */
#include <fcntl.h>
#include <libvmi/libvmi.h>
#include <unistd.h>

#include "guest.h"
#include "test.h"

static const char *guest;
static char copy[4096];
static char paging[32];
static int fd = -1;

static bool make_copy(void)
{
    char src[4096];
    int in = open(guest_path(guest, "ram.raw", src, sizeof(src)), O_RDONLY);
    snprintf(copy, sizeof(copy), "/tmp/tinyvmi-hostile-%d-%s.raw", (int)getpid(), guest);
    fd = open(copy, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || fd < 0)
        return false;
    static char buf[1 << 20];
    ssize_t n;
    off_t off = 0;
    while ((n = read(in, buf, sizeof(buf))) > 0) {
        /* Keep the copy sparse where the image is zero. */
        bool zero = true;
        for (ssize_t i = 0; i < n && zero; i++)
            zero = buf[i] == 0;
        if (!zero && pwrite(fd, buf, (size_t)n, off) != n)
            return false;
        off += n;
    }
    close(in);
    return ftruncate(fd, off) == 0;
}

/* Offsets pinned from the clean copy (kernels without BTF find them by
 * heuristics over an intact task ring, which the cases break). */
static char pinned[2048];

static vmi_instance_t open_copy(void)
{
    char cfg[sizeof(pinned) + 256];
    vmi_instance_t v = NULL;
    vmi_init_error_t e;
    snprintf(cfg, sizeof(cfg), "ostype = Linux; pagemode = %s; %s", paging, pinned);
    if (vmi_init_complete(&v, copy, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING, cfg, &e) !=
        VMI_SUCCESS) {
        fprintf(stderr, "  init: %s\n", tvmi_init_errmsg());
        return NULL;
    }
    return v;
}

/* A patch of guest-physical bytes, undone by unpatch(). */
typedef struct patch {
    uint64_t pa;
    uint8_t old[64];
    size_t len;
} patch_t;

static void patch(patch_t *p, uint64_t pa, const void *bytes, size_t len)
{
    p->pa = pa;
    p->len = len;
    CHECK(pread(fd, p->old, len, (off_t)pa) == (ssize_t)len);
    CHECK(pwrite(fd, bytes, len, (off_t)pa) == (ssize_t)len);
}

static void unpatch(const patch_t *p)
{
    CHECK(pwrite(fd, p->old, p->len, (off_t)p->pa) == (ssize_t)p->len);
}

/* The clean facts every case starts from. */
static guest_procs_t clean;
static addr_t o_tasks, o_name, kdtb;
static unsigned width;
static guest_mods_t clean_mods;
static addr_t o_mlist;

static uint64_t pa_of(vmi_instance_t v, addr_t va)
{
    addr_t pa = 0;
    CHECK(vmi_translate_kv2p(v, va, &pa) == VMI_SUCCESS);
    return pa;
}

/* Facts of the clean copy; also the physical addresses the cases patch. */
static uint64_t next_pa[64], comm_pa[64], mod_next_pa[8];

static bool learn(void)
{
    vmi_instance_t v = open_copy();
    if (!v)
        return false;
    clean.n = 0;
    CHECK(tvmi_process_foreach(v, guest_collect_proc, &clean) == VMI_SUCCESS);
    CHECK(vmi_get_offset(v, "linux_tasks", &o_tasks) == VMI_SUCCESS);
    CHECK(vmi_get_offset(v, "linux_name", &o_name) == VMI_SUCCESS);
    CHECK(vmi_get_offset(v, "kpgd", &kdtb) == VMI_SUCCESS);
    width = vmi_get_address_width(v);
    static const char *const keys[] = { "linux_tasks", "linux_mm", "linux_pid", "linux_name",
                                        "linux_pgd", "linux_module_base", "linux_module_size" };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        addr_t o;
        size_t l = strlen(pinned);
        CHECK(vmi_get_offset(v, keys[i], &o) == VMI_SUCCESS);
        snprintf(pinned + l, sizeof(pinned) - l, "%s = 0x%llx; ", keys[i],
                 (unsigned long long)o);
    }
    for (size_t i = 0; i < 64 && i < clean.n; i++) {
        next_pa[i] = pa_of(v, clean.p[i].task + o_tasks);
        comm_pa[i] = pa_of(v, clean.p[i].task + o_name);
    }
    clean_mods.n = 0;
    CHECK(tvmi_module_foreach(v, guest_collect_mod, &clean_mods) == VMI_SUCCESS);
    CHECK(vmi_get_offset(v, "linux_module_list", &o_mlist) == VMI_SUCCESS);
    for (size_t i = 0; i < clean_mods.n && i < 8; i++)
        mod_next_pa[i] = pa_of(v, clean_mods.m[i].object + o_mlist);
    vmi_destroy(v);
    return clean.n > 20 && clean_mods.n >= 2;
}

static void put_ptr(uint8_t *b, uint64_t v)
{
    for (unsigned i = 0; i < width; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

/* Patch task k's tasks.next to `to`, walk, and return what was seen. */
static status_t walk_with_next(size_t k, uint64_t to, guest_procs_t *seen, char *why, size_t cap)
{
    uint8_t b[8];
    patch_t p;
    put_ptr(b, to);
    patch(&p, next_pa[k], b, width);
    vmi_instance_t v = open_copy();
    status_t rc = VMI_FAILURE;
    seen->n = 0;
    if (v) {
        rc = tvmi_process_foreach(v, guest_collect_proc, seen);
        snprintf(why, cap, "%s", tvmi_errmsg(v));
        vmi_destroy(v);
    }
    unpatch(&p);
    return rc;
}

/* The entries seen are the clean list's first n, in order. */
static bool prefix_of_clean(const guest_procs_t *s, size_t n)
{
    if (s->n != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s->p[i].pid != clean.p[i].pid || s->p[i].task != clean.p[i].task)
            return false;
    return true;
}

static void test_cycle_missing_head(void)
{
    guest_procs_t s = { 0 };
    char why[512];
    /* Task 10's next goes back to task 5: a ring that never returns to
     * init_task.  The walk sees tasks 0..10 once each, then stops. */
    status_t rc = walk_with_next(10, clean.p[5].task + o_tasks, &s, why, sizeof(why));
    CHECK(rc == VMI_FAILURE);
    CHECK(prefix_of_clean(&s, 11));
    CHECK(strstr(why, "already visited") != NULL);
    fprintf(stderr, "  (reason: %s)\n", why);
    free(s.p);
}

static void test_self_loop(void)
{
    guest_procs_t s = { 0 };
    char why[512];
    status_t rc = walk_with_next(7, clean.p[7].task + o_tasks, &s, why, sizeof(why));
    CHECK(rc == VMI_FAILURE);
    CHECK(prefix_of_clean(&s, 8));
    CHECK(strstr(why, "already visited") != NULL);
    free(s.p);
}

static void test_null_next(void)
{
    guest_procs_t s = { 0 };
    char why[512];
    status_t rc = walk_with_next(3, 0, &s, why, sizeof(why));
    CHECK(rc == VMI_FAILURE);
    CHECK(prefix_of_clean(&s, 4));
    CHECK(strstr(why, "not a kernel address") != NULL);
    free(s.p);
}

static void test_unmapped_next(void)
{
    /* A kernel-half address no page table maps: the x86-64 guard hole
     * below the direct map; on i386 the first unmapped page found high in
     * the kernel's range. */
    uint64_t hole = 0;
    vmi_instance_t v = open_copy();
    CHECK(v != NULL);
    if (!v)
        return;
    static const uint64_t c64[] = { 0xffff800000001000ULL, 0xffff808000000000ULL };
    static const uint64_t c32[] = { 0xff000000ULL, 0xfe000000ULL, 0xf0000000ULL, 0xe0000000ULL };
    const uint64_t *c = width == 8 ? c64 : c32;
    size_t nc = width == 8 ? 2 : 4;
    for (size_t i = 0; i < nc && !hole; i++) {
        addr_t pa;
        if (vmi_translate_kv2p(v, c[i] + 0x100, &pa) != VMI_SUCCESS)
            hole = c[i] + 0x100;
    }
    vmi_destroy(v);
    CHECK(hole != 0);
    guest_procs_t s = { 0 };
    char why[512];
    status_t rc = walk_with_next(12, hole, &s, why, sizeof(why));
    CHECK(rc == VMI_FAILURE);
    /* Tasks 0..12 were read; the 13th "task" sits in unmapped memory. */
    CHECK(prefix_of_clean(&s, 13));
    char hex[32];
    snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)(hole - o_tasks));
    CHECK(strstr(why, hex) != NULL);
    fprintf(stderr, "  (reason: %s)\n", why);
    free(s.p);
}

static void test_comm_without_nul(void)
{
    uint8_t a[16];
    memset(a, 'A', sizeof(a));
    patch_t p;
    patch(&p, comm_pa[4], a, sizeof(a));
    vmi_instance_t v = open_copy();
    guest_procs_t s = { 0 };
    CHECK(v != NULL);
    if (v) {
        CHECK(tvmi_process_foreach(v, guest_collect_proc, &s) == VMI_SUCCESS);
        CHECK_EQ_U64(s.n, clean.n);
        /* Cut at the array's end: 15 characters and a NUL, never more. */
        CHECK(s.n > 4 && strcmp(s.p[4].name, "AAAAAAAAAAAAAAA") == 0);
        CHECK(s.n > 5 && strcmp(s.p[5].name, clean.p[5].name) == 0);
        vmi_destroy(v);
    }
    unpatch(&p);
    free(s.p);
}

/* A chain of 100001 list_heads in free memory, linked from task 2: the walk
 * stops at OS_WALK_LIMIT with an error instead of reading on. */
static void test_absurd_length(void)
{
    /* Direct-map base from a task (slab memory lives in the direct map). */
    uint64_t dmap = clean.p[1].task - (next_pa[1] - o_tasks);
    /* 2 MiB of zero bytes in the copy: unused RAM. */
    static uint8_t buf[2u << 20];
    uint64_t region = 0;
    for (uint64_t pa = 64u << 20; pa < (240u << 20) && !region; pa += sizeof(buf)) {
        ssize_t n = pread(fd, buf, sizeof(buf), (off_t)pa);
        bool zero = n == (ssize_t)sizeof(buf);
        for (size_t i = 0; i < sizeof(buf) && zero; i += 8)
            zero = *(uint64_t *)(buf + i) == 0;
        if (zero)
            region = pa;
    }
    CHECK(region != 0);
    if (!region)
        return;
    size_t nodes = 100001;
    uint64_t stride = 16; /* list_head size; the bogus "tasks" overlap, as a forger's would */
    CHECK(nodes * stride <= sizeof(buf));
    memset(buf, 0, sizeof(buf));
    for (size_t i = 0; i < nodes; i++) {
        uint64_t next = dmap + region + stride * (i + 1);
        memcpy(buf + stride * i, &next, 8);
    }
    CHECK(pwrite(fd, buf, sizeof(buf), (off_t)region) == (ssize_t)sizeof(buf));
    guest_procs_t s = { 0 };
    char why[512];
    status_t rc = walk_with_next(2, dmap + region, &s, why, sizeof(why));
    CHECK(rc == VMI_FAILURE);
    CHECK(strstr(why, "more than 100000") != NULL);
    CHECK(s.n >= 100000 && s.n <= 100004);
    memset(buf, 0, sizeof(buf));
    CHECK(pwrite(fd, buf, sizeof(buf), (off_t)region) == (ssize_t)sizeof(buf));
    free(s.p);
}

/* Without BTF the offsets come from heuristics over the task ring; on a
 * damaged ring they must refuse, naming what is missing, not guess. */
static void test_heuristics_refuse_damage(void)
{
    uint8_t b[8];
    patch_t p;
    char keep[sizeof(pinned)];
    snprintf(keep, sizeof(keep), "%s", pinned);
    pinned[0] = '\0';
    put_ptr(b, clean.p[5].task + o_tasks);
    patch(&p, next_pa[10], b, width);
    vmi_instance_t v = open_copy();
    CHECK(v == NULL);
    if (v)
        vmi_destroy(v);
    CHECK(strstr(tvmi_init_errmsg(), "linux_tasks") != NULL);
    unpatch(&p);
    snprintf(pinned, sizeof(pinned), "%s", keep);
}

static void test_module_cycle(void)
{
    uint8_t b[8];
    patch_t p;
    /* The second module links back to the first. */
    put_ptr(b, clean_mods.m[0].object + o_mlist);
    patch(&p, mod_next_pa[1], b, width);
    vmi_instance_t v = open_copy();
    guest_mods_t s = { .n = 0 };
    CHECK(v != NULL);
    if (v) {
        CHECK(tvmi_module_foreach(v, guest_collect_mod, &s) == VMI_FAILURE);
        CHECK(strstr(tvmi_errmsg(v), "already visited") != NULL);
        CHECK_EQ_U64(s.n, 2);
        CHECK(s.n == 2 && strcmp(s.m[0].name, clean_mods.m[0].name) == 0 &&
              strcmp(s.m[1].name, clean_mods.m[1].name) == 0);
        vmi_destroy(v);
    }
    unpatch(&p);
}

static void test_lookups_end_on_cycle(void)
{
    uint8_t b[8];
    patch_t p;
    put_ptr(b, clean.p[5].task + o_tasks);
    patch(&p, next_pa[10], b, width);
    vmi_instance_t v = open_copy();
    CHECK(v != NULL);
    if (v) {
        addr_t dtb;
        vmi_pid_t pid;
        /* A pid past the damage cannot be found: an error, not a hang. */
        CHECK(vmi_pid_to_dtb(v, 99999, &dtb) == VMI_FAILURE);
        CHECK(strstr(tvmi_errmsg(v), "already visited") != NULL);
        CHECK(vmi_dtb_to_pid(v, 0x1000, &pid) == VMI_FAILURE);
        /* One before the damage still is. */
        CHECK(vmi_pid_to_dtb(v, clean.p[1].pid, &dtb) == VMI_SUCCESS);
        vmi_destroy(v);
    }
    unpatch(&p);
}

static bool prepared;

/* A copy of ram.raw and the clean facts (process and module lists,
 * offsets, where the patched fields are). */
static void test_prepare_copy(void)
{
    prepared = make_copy() && learn();
    CHECK(prepared);
}

int main(void)
{
    static const char *const guests[] = { "amd64", "i386" };
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (size_t g = 0; g < 2; g++) {
        guest = guests[g];
        if (!guest_exists(guest)) {
            printf("skip %s: no guest image (make guests)\n", guest);
            test_skipped++;
            continue;
        }
        guest_meta(guest, "PAGING", paging, sizeof(paging));
        pinned[0] = '\0';
        printf("-- %s\n", guest);
        TEST_RUN(test_prepare_copy);
        if (prepared) {
            TEST_RUN(test_cycle_missing_head);
            TEST_RUN(test_self_loop);
            TEST_RUN(test_null_next);
            TEST_RUN(test_unmapped_next);
            TEST_RUN(test_comm_without_nul);
            if (width == 8)
                TEST_RUN(test_absurd_length);
            else
                TEST_SKIP(test_absurd_length, "the forged chain is built for the 64-bit direct "
                                              "map");
            if (strcmp(guest, "i386") == 0)
                TEST_RUN(test_heuristics_refuse_damage);
            TEST_RUN(test_module_cycle);
            TEST_RUN(test_lookups_end_on_cycle);
        }
        if (fd >= 0)
            close(fd);
        fd = -1;
        unlink(copy);
    }
    free(clean.p);
    TEST_DONE();
}
