/*
 * embed_check - a LibVMI-style program with an embedded entry (a vmi-embed
 * file linked in, nothing registered), checked against what the real guest
 * said.  Built and run by embed.sh, once per compiler and link mode.
 *
 *   embed_check ps IMAGE
 *       init with VMI_CONFIG_GLOBAL_FILE_ENTRY, print "pid name" per
 *       process: the mode run under strace, so it opens nothing but IMAGE;
 *   embed_check check GUEST IMAGE [names]
 *       the same list against the guest's truth/ps.txt, and with "names"
 *       every kernel symbol of its truth/kallsyms.txt both ways: the name
 *       gives the first address the guest listed for it, the address gives
 *       the first name the guest listed there.
 */
#include <libvmi/libvmi.h>

#include "guest.h"
#include "test.h"

static vmi_instance_t open_embedded(const char *image)
{
    vmi_instance_t vmi = NULL;
    vmi_init_error_t e;
    if (vmi_init_complete(&vmi, image, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_GLOBAL_FILE_ENTRY,
                          NULL, &e) != VMI_SUCCESS) {
        fprintf(stderr, "  init: %s\n", tvmi_init_errmsg());
        return NULL;
    }
    return vmi;
}

static int print_proc(void *ctx, const tvmi_process_t *p)
{
    (void)ctx;
    printf("%d %s\n", p->pid, p->name);
    return 0;
}

typedef struct sym {
    char name[128];
    uint64_t addr;
    size_t idx; /* the guest's listing order */
} sym_t;

static int by_addr(const void *a, const void *b)
{
    const sym_t *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int by_name(const void *a, const void *b)
{
    const sym_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->idx < y->idx ? -1 : x->idx > y->idx);
}

static void check_names(vmi_instance_t vmi, const char *guest)
{
    char *k = guest_slurp(guest, "truth/kallsyms.txt"), *line, *save = NULL;
    size_t n = 0, cap = 1 << 17, bad_name = 0, bad_addr = 0, names = 0, addrs = 0;
    sym_t *s = malloc(cap * sizeof(*s));
    CHECK(k != NULL && s != NULL);
    if (!k || !s)
        return;
    for (line = strtok_r(k, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        unsigned long long a;
        char t, nm[512];
        if (strchr(line, '[') || sscanf(line, "%llx %c %511s", &a, &t, nm) != 3 ||
            strlen(nm) >= sizeof(s->name))
            continue;
        if (n == cap)
            s = realloc(s, (cap *= 2) * sizeof(*s));
        snprintf(s[n].name, sizeof(s[n].name), "%s", nm);
        s[n].idx = n;
        s[n++].addr = a;
    }
    /* By name: the first address the guest listed for each name. */
    qsort(s, n, sizeof(*s), by_name);
    for (size_t i = 0; i < n; i++) {
        addr_t got = 0;
        if (i && strcmp(s[i].name, s[i - 1].name) == 0)
            continue;
        names++;
        if (vmi_translate_ksym2v(vmi, s[i].name, &got) != VMI_SUCCESS || got != s[i].addr) {
            if (bad_name++ < 5)
                fprintf(stderr, "  %s: the guest listed 0x%llx first, TinyVMI 0x%llx (%s)\n",
                        s[i].name, (unsigned long long)s[i].addr, (unsigned long long)got,
                        tvmi_errmsg(vmi));
        }
    }
    /* By address: the first name the guest listed at each address. */
    qsort(s, n, sizeof(*s), by_addr);
    ACCESS_CONTEXT(ctx, .translate_mechanism = VMI_TM_PROCESS_PID, .pid = 0);
    for (size_t i = 0; i < n; i++) {
        if (i && s[i].addr == s[i - 1].addr)
            continue;
        addrs++;
        const char *got = vmi_translate_v2ksym(vmi, &ctx, s[i].addr);
        if ((!got || strcmp(got, s[i].name) != 0) && bad_addr++ < 5)
            fprintf(stderr, "  0x%llx: the guest listed %s first, TinyVMI %s\n",
                    (unsigned long long)s[i].addr, s[i].name, got ? got : tvmi_errmsg(vmi));
    }
    printf("     %zu names and %zu addresses of the guest's %zu kernel symbols checked\n",
           names, addrs, n);
    CHECK(n > 1000 && names > 1000 && addrs > 1000);
    CHECK(bad_name == 0);
    CHECK(bad_addr == 0);
    free(s);
    free(k);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "ps") == 0) {
        vmi_instance_t vmi = open_embedded(argv[2]);
        if (!vmi)
            return 1;
        int rc = tvmi_process_foreach(vmi, print_proc, NULL) == VMI_SUCCESS ? 0 : 1;
        vmi_destroy(vmi);
        return rc;
    }
    if (argc < 4 || strcmp(argv[1], "check") != 0) {
        fprintf(stderr, "usage: embed_check ps IMAGE | check GUEST IMAGE [names]\n");
        return 2;
    }
    const char *guest = argv[2];
    vmi_instance_t vmi = open_embedded(argv[3]);
    CHECK(vmi != NULL);
    if (!vmi)
        TEST_DONE();
    const char *src = tvmi_get_config(vmi, "linux_symbols");
    CHECK(src && strstr(src, "compiled into the program"));
    guest_procs_t procs = { .n = 0 };
    CHECK(tvmi_process_foreach(vmi, guest_collect_proc, &procs) == VMI_SUCCESS);
    guest_ps_diff_t d = guest_compare_ps(guest, &procs);
    printf("     %zu processes of the guest compared\n", d.rows);
    CHECK(d.rows > 10 && d.missing == 0 && d.extra == 0 && d.bad_comm == 0 &&
          d.bad_ppid == 0 && d.bad_dtb == 0);
    if (argc > 4 && strcmp(argv[4], "names") == 0)
        check_names(vmi, guest);
    vmi_destroy(vmi);
    TEST_DONE();
}
