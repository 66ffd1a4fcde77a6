/*
 * tool.c - shared plumbing for the command-line tools (see tool.h).
 */
#include "common/tool.h"

#include <ctype.h>
#include <getopt.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int tool_fail(const char *prog, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

static bool paused;

void tool_pause(vmi_instance_t vmi)
{
    vmi_mode_t mode;
    paused = vmi_get_access_mode(vmi, NULL, 0, NULL, &mode) == VMI_SUCCESS &&
             mode != VMI_FILE && vmi_pause_vm(vmi) == VMI_SUCCESS;
}

void tool_resume(vmi_instance_t vmi)
{
    if (paused)
        vmi_resume_vm(vmi);
    paused = false;
}

bool tool_open(const char *prog, const char *target, const tool_opts_t *o, bool want_os,
               vmi_instance_t *vmi)
{
    vmi_init_error_t ierr = VMI_INIT_ERROR_NONE;
    vmi_config_t mode = VMI_CONFIG_GLOBAL_FILE_ENTRY;
    void *config = NULL;
    struct stat st;
    /* LibVMI's init data: one entry, the socket (a flexible array). */
    union {
        vmi_init_data_t head;
        char bytes[sizeof(vmi_init_data_t) + sizeof(vmi_init_data_entry_t)];
    } init;

    init.head.count = 1;
    init.head.entry[0].type = VMI_INIT_DATA_KVMI_SOCKET;
    init.head.entry[0].data = (void *)o->socket;

    if (o->config) {
        /* An existing file is a config file; anything else a config string. */
        mode = stat(o->config, &st) == 0 ? VMI_CONFIG_FILE_PATH : VMI_CONFIG_STRING;
        config = (void *)o->config;
    }
    if (vmi_init_complete(vmi, target, VMI_INIT_DOMAINNAME, o->socket ? &init.head : NULL,
                          mode, config, &ierr) != VMI_SUCCESS) {
        tool_fail(prog, "cannot open %s: %s", target, tvmi_init_errmsg());
        return false;
    }
    if (want_os && vmi_get_ostype(*vmi) == VMI_OS_UNKNOWN) {
        tool_fail(prog, "%s: no guest OS recognised (set ostype, e.g. -c 'ostype = Linux', "
                        "and the offsets it needs)", target);
        vmi_destroy(*vmi);
        *vmi = NULL;
        return false;
    }
    return true;
}

bool tool_parse_addr(const char *prog, const char *what, const char *s, uint64_t *out)
{
    char *end;
    int base = 10;
    const char *p = s;

    if (!s || !*s) {
        tool_fail(prog, "%s is missing", what);
        return false;
    }
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        base = 16;
    else
        for (const char *q = p; *q; q++)
            if (isxdigit((unsigned char)*q) && !isdigit((unsigned char)*q))
                base = 16;
    errno = 0;
    *out = strtoull(p, &end, base);
    if (errno || *end || end == p || *p == '-') {
        tool_fail(prog, "%s: \"%s\" is not a number (use 0x... for hex)", what, s);
        return false;
    }
    return true;
}

void tool_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

int tool_args(int argc, char **argv, const char *usage, int npos, tool_opts_t *o,
              int *exit_code)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' }, { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },         TOOL_LONGOPT_SOCKET,
        { NULL, 0, NULL, 0 },
    };
    int c;

    while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o->config = optarg; break;
        case 'j': o->json = true; break;
        case TOOL_OPT_SOCKET: o->socket = optarg; break;
        case 'h': fputs(usage, stdout); *exit_code = 0; return -1;
        default: fputs(usage, stderr); *exit_code = 2; return -1;
        }
    }
    /* LibVMI's KVM tools: <vmname> <socket>. */
    if (npos == 1 && argc - optind == 2 && !o->socket)
        o->socket = argv[optind + 1];
    else if (argc - optind != npos) {
        fputs(usage, stderr);
        *exit_code = 2;
        return -1;
    }
    return optind;
}
