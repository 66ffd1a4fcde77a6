/*
 * test_linux_tools - the Linux tools against what the real guests said.
 *
 * vmi-dmesg's output contains every line the guest's own dmesg printed;
 * vmi-map-symbol shows the bytes the guest read from /proc/kcore at that
 * symbol; vmi-linux-offsets prints an entry whose offsets are the ones the
 * library reports, and valid JSON-shaped output with --json; every tool
 * answers --help and fails with a reason on a missing image.  The tools are
 * run as programs, from the build directory this test was built into.
 */
#include <libgen.h>
#include <libvmi/libvmi.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest.h"
#include "test.h"

static char bindir[4096];
static const char *guest;
static const char *file;

/* Run a command, capture stdout (malloc'd) and the exit status. */
static char *run(const char *cmd, int *status)
{
    FILE *p = popen(cmd, "r");
    size_t cap = 1 << 16, n = 0, k;
    char *out = malloc(cap);
    if (!p || !out) {
        free(out);
        *status = -1;
        return NULL;
    }
    while ((k = fread(out + n, 1, cap - n - 1, p)) > 0) {
        n += k;
        if (cap - n < 4096) {
            cap *= 2;
            out = realloc(out, cap);
        }
    }
    out[n] = '\0';
    int st = pclose(p);
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

static const char *cfg_for(char *buf, size_t cap)
{
    char paging[32] = "";
    guest_meta(guest, "PAGING", paging, sizeof(paging));
    if (strcmp(file, "core.elf") == 0)
        snprintf(buf, cap, "ostype = Linux");
    else
        snprintf(buf, cap, "ostype = Linux; pagemode = %s", paging);
    return buf;
}

static void test_dmesg(void)
{
    char cmd[16384], img[4096], cfg[128];
    int st;
    snprintf(cmd, sizeof(cmd), "%s/vmi-dmesg '%s' -c '%s'", bindir,
             guest_path(guest, file, img, sizeof(img)), cfg_for(cfg, sizeof(cfg)));
    char *out = run(cmd, &st), *truth = guest_slurp(guest, "truth/dmesg.txt");
    CHECK(st == 0);
    CHECK(out && truth);
    if (!out || !truth) {
        free(out);
        free(truth);
        return;
    }
    size_t lines = 0, missing = 0;
    char *save = NULL;
    for (char *l = strtok_r(truth, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        lines++;
        /* Whole lines: preceded by a newline (or the start) and followed by one. */
        char *at = out;
        bool found = false;
        size_t ll = strlen(l);
        while (!found && (at = strstr(at, l)) != NULL) {
            found = (at == out || at[-1] == '\n') && (at[ll] == '\n' || at[ll] == '\0');
            at++;
        }
        if (!found && missing++ < 3)
            fprintf(stderr, "  the guest's dmesg has \"%s\"; vmi-dmesg does not\n", l);
    }
    CHECK(lines > 100);
    CHECK(missing == 0);
    free(out);
    free(truth);
}

static void test_map_symbol(void)
{
    guest_peek_t *peeks;
    size_t n = guest_kcore_peeks(guest, &peeks), tried = 0;
    for (size_t i = 0; i < n && tried < 4; i++) {
        char type = '?';
        guest_kallsyms_typed(guest, peeks[i].name, &type);
        if (!strchr("tT", type) || strchr(peeks[i].name, '[') ||
            !guest_peek_stable(guest, &peeks[i]))
            continue;
        char cmd[16384], img[4096], cfg[128], want[200] = "";
        int st;
        snprintf(cmd, sizeof(cmd), "%s/vmi-map-symbol '%s' '%s' %zu --json -c '%s'", bindir,
                 guest_path(guest, file, img, sizeof(img)), peeks[i].name, peeks[i].len,
                 cfg_for(cfg, sizeof(cfg)));
        char *out = run(cmd, &st);
        for (size_t j = 0; j < peeks[i].len; j++)
            snprintf(want + 2 * j, sizeof(want) - 2 * j, "%02x", peeks[i].bytes[j]);
        CHECK(st == 0);
        CHECK(out && strstr(out, want) != NULL);
        char addr[40];
        snprintf(addr, sizeof(addr), "\"0x%llx\"", (unsigned long long)peeks[i].addr);
        CHECK(out && strstr(out, addr) != NULL);
        free(out);
        tried++;
    }
    CHECK(tried > 0);
    free(peeks);
    /* An unknown symbol: exit 1 and a reason on stderr. */
    char cmd[16384], img[4096], cfg[128];
    int st;
    snprintf(cmd, sizeof(cmd), "%s/vmi-map-symbol '%s' no_such_symbol_x -c '%s' 2>&1", bindir,
             guest_path(guest, file, img, sizeof(img)), cfg_for(cfg, sizeof(cfg)));
    char *out = run(cmd, &st);
    CHECK(st == 1);
    CHECK(out && strstr(out, "no_such_symbol_x") != NULL);
    free(out);
}

static int count_proc(void *ctx, const tvmi_process_t *p)
{
    (void)p;
    (*(size_t *)ctx)++;
    return 0;
}

static void test_linux_offsets(void)
{
    char cmd[16384], img[4096], cfg[128];
    int st;
    snprintf(cmd, sizeof(cmd), "%s/vmi-linux-offsets '%s' -c '%s'", bindir,
             guest_path(guest, file, img, sizeof(img)), cfg_for(cfg, sizeof(cfg)));
    char *out = run(cmd, &st);
    CHECK(st == 0);
    CHECK(out && strstr(out, "ostype = \"Linux\";"));
    /* The entry's values are the library's. */
    vmi_instance_t vmi;
    vmi_init_error_t e;
    CHECK(vmi_init_complete(&vmi, img, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING, cfg, &e) ==
          VMI_SUCCESS);
    static const char *const keys[] = { "linux_tasks", "linux_mm", "linux_pid", "linux_name",
                                        "linux_pgd" };
    for (size_t i = 0; out && i < 5; i++) {
        addr_t o;
        char line[128];
        CHECK(vmi_get_offset(vmi, keys[i], &o) == VMI_SUCCESS);
        snprintf(line, sizeof(line), "%-18s = 0x%llx;", keys[i], (unsigned long long)o);
        if (!strstr(out, line))
            fprintf(stderr, "  missing \"%s\" in:\n%s", line, out);
        CHECK(strstr(out, line) != NULL);
    }
    /* The entry works: a configuration made of its lines gives the same
     * process list as discovery did. */
    char conf[2048];
    snprintf(conf, sizeof(conf), "%s; ", cfg);
    for (size_t i = 0; out && i < 5; i++) {
        const char *at = strstr(out, keys[i]);
        unsigned long long v;
        if (at && sscanf(strchr(at, '=') + 1, " %llx", &v) == 1) {
            size_t l = strlen(conf);
            snprintf(conf + l, sizeof(conf) - l, "%s = 0x%llx; ", keys[i], v);
        }
    }
    vmi_instance_t pinned;
    CHECK(vmi_init_complete(&pinned, img, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING, conf,
                            &e) == VMI_SUCCESS);
    size_t a = 0, b = 0;
    CHECK(tvmi_process_foreach(vmi, count_proc, &a) == VMI_SUCCESS);
    CHECK(tvmi_process_foreach(pinned, count_proc, &b) == VMI_SUCCESS);
    CHECK(a > 10 && a == b);
    vmi_destroy(pinned);
    vmi_destroy(vmi);
    free(out);
    snprintf(cmd, sizeof(cmd), "%s/vmi-linux-offsets '%s' --json -c '%s'", bindir, img, cfg);
    out = run(cmd, &st);
    CHECK(st == 0);
    CHECK(out && out[0] == '{' && strstr(out, "\"linux_tasks\":{\"value\":\"0x"));
    free(out);
}

static void test_help_and_errors(void)
{
    static const char *const tools[] = { "vmi-dmesg", "vmi-map-symbol", "vmi-linux-offsets" };
    for (size_t i = 0; i < 3; i++) {
        char cmd[8192];
        int st;
        snprintf(cmd, sizeof(cmd), "%s/%s --help", bindir, tools[i]);
        char *out = run(cmd, &st);
        CHECK(st == 0);
        CHECK(out && strstr(out, "usage:") != NULL);
        free(out);
        snprintf(cmd, sizeof(cmd), "%s/%s /nonexistent/image.raw%s 2>&1", bindir, tools[i],
                 i == 1 ? " _text" : "");
        out = run(cmd, &st);
        CHECK(st != 0);
        CHECK(out && strstr(out, "/nonexistent/image.raw") != NULL);
        free(out);
    }
}

int main(int argc, char **argv)
{
    static const char *const files[] = { "core.elf", "ram.raw", "ram.lime" };
    char self[4096];
    setvbuf(stdout, NULL, _IOLBF, 0);
    snprintf(self, sizeof(self), "%s", argc > 0 ? argv[0] : ".");
    /* <O>/tests/integration/test_linux_tools -> <O>/bin */
    snprintf(bindir, sizeof(bindir), "%s/../../bin", dirname(self));
    char probe[8192];
    snprintf(probe, sizeof(probe), "%s/vmi-dmesg", bindir);
    if (access(probe, X_OK) != 0) {
        printf("skip all: %s not built (make tools)\n", probe);
        test_skipped++;
        TEST_DONE();
    }
    TEST_RUN(test_help_and_errors);
    for (size_t g = 0; g < GUEST_COUNT; g++) {
        guest = guest_names[g];
        if (!guest_exists(guest)) {
            printf("skip %s: no guest image (make guests)\n", guest);
            test_skipped++;
            continue;
        }
        for (size_t f = 0; f < 3; f++) {
            file = files[f];
            printf("-- %s/%s\n", guest, file);
            TEST_RUN(test_dmesg);
            TEST_RUN(test_map_symbol);
            TEST_RUN(test_linux_offsets);
        }
    }
    TEST_DONE();
}
