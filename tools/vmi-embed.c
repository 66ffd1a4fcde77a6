/*
 * vmi-embed - a libvmi.conf entry and the kernel's symbols into one C file
 * that a program links in, so that it introspects with no configuration
 * file and no symbol file at run time (a stub domain, a unikernel, an
 * initramfs).  Unlike the other tools it opens no target: it runs where the
 * program is built.  Uses only the public API (tvmi_embed_generate).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "common/tool.h"

static const char usage[] =
    "usage: vmi-embed -c CONFIG [options] -o OUT.c\n"
    "Write a C source file holding one libvmi.conf entry and the kernel's\n"
    "symbols (a compact table: names front-coded and sorted, addresses\n"
    "sorted), for linking into a program: vmi_init with\n"
    "VMI_CONFIG_GLOBAL_FILE_ENTRY then takes that entry and its symbols and\n"
    "opens no config or symbol file (docs/minimal-domain.md).\n"
    "\n"
    "  -c CONFIG        the libvmi.conf file to take the entry from\n"
    "  -e, --entry NAME the entry (default: the file's first)\n"
    "  -n, --name NAME  the name to embed it under, matched against the\n"
    "                   target like an entry name; \"*\" matches any target\n"
    "                   (default: the entry's name; \"*\" without -e)\n"
    "      --sysmap FILE    symbols from a System.map (default: the entry's\n"
    "                       sysmap key, when it has one)\n"
    "      --kallsyms FILE  symbols from /proc/kallsyms text\n"
    "      --modules        with --kallsyms: keep module symbols too\n"
    "      --isf FILE       symbols (and missing process offsets) from a\n"
    "                       Linux ISF JSON profile (Volatility 3)\n"
    "      --no-symbols     the configuration only\n"
    "      --register VAR   define VAR for tvmi_embed_register() instead of\n"
    "                       tvmi_embedded_entry (which is found just by linking)\n"
    "  -o OUT.c         where to write the C file ('-': standard output)\n"
    "  -h, --help       this text\n"
    "Exit status 1 with the reason when a file cannot be read or parsed.\n";

static const char *prog = "vmi-embed";

int main(int argc, char **argv)
{
    enum { O_SYSMAP = 256, O_KALLSYMS, O_ISF, O_MODULES, O_NOSYMS, O_REGISTER };
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },   { "entry", required_argument, NULL, 'e' },
        { "name", required_argument, NULL, 'n' },     { "output", required_argument, NULL, 'o' },
        { "sysmap", required_argument, NULL, O_SYSMAP },
        { "kallsyms", required_argument, NULL, O_KALLSYMS },
        { "isf", required_argument, NULL, O_ISF },    { "modules", no_argument, NULL, O_MODULES },
        { "no-symbols", no_argument, NULL, O_NOSYMS },
        { "register", required_argument, NULL, O_REGISTER },
        { "help", no_argument, NULL, 'h' },           { NULL, 0, NULL, 0 },
    };
    tvmi_embed_spec_t spec;
    const char *outpath = NULL;
    int c, kinds = 0;
    bool nosyms = false;

    memset(&spec, 0, sizeof(spec));
    while ((c = getopt_long(argc, argv, "c:e:n:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': spec.config = optarg; break;
        case 'e': spec.entry = optarg; break;
        case 'n': spec.name = optarg; break;
        case 'o': outpath = optarg; break;
        case O_SYSMAP: spec.symbols = optarg; spec.kind = TVMI_SYMBOLS_SYSMAP; kinds++; break;
        case O_KALLSYMS: spec.symbols = optarg; spec.kind = TVMI_SYMBOLS_KALLSYMS; kinds++; break;
        case O_ISF: spec.symbols = optarg; spec.kind = TVMI_SYMBOLS_ISF; kinds++; break;
        case O_MODULES: spec.flags |= TVMI_EMBED_MODULE_SYMBOLS; break;
        case O_NOSYMS: nosyms = true; break;
        case O_REGISTER:
            spec.flags |= TVMI_EMBED_REGISTER_ONLY;
            spec.variable = optarg;
            break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (optind != argc || !spec.config || !outpath) {
        fprintf(stderr, "%s: %s\n%s", prog,
                optind != argc ? "unexpected argument" : "-c CONFIG and -o OUT.c are needed",
                usage);
        return 2;
    }
    if (kinds > 1 || (nosyms && kinds)) {
        fprintf(stderr, "%s: give one of --sysmap, --kallsyms, --isf, --no-symbols\n", prog);
        return 2;
    }
    if ((spec.flags & TVMI_EMBED_MODULE_SYMBOLS) && spec.kind != TVMI_SYMBOLS_KALLSYMS) {
        fprintf(stderr, "%s: --modules goes with --kallsyms\n", prog);
        return 2;
    }
    if (nosyms)
        spec.flags |= TVMI_EMBED_NO_SYMBOLS;
    bool to_stdout = strcmp(outpath, "-") == 0;
    char tmp[4096];
    if (!to_stdout && snprintf(tmp, sizeof(tmp), "%s.tmp", outpath) >= (int)sizeof(tmp))
        return tool_fail(prog, "output path too long");
    FILE *out = to_stdout ? stdout : fopen(tmp, "w");
    if (!out)
        return tool_fail(prog, "cannot create %s", tmp);
    status_t rc = tvmi_embed_generate(&spec, out);
    if (!to_stdout) {
        bool closed = fclose(out) == 0;
        /* Written whole or not at all: a half file would compile into a
         * table the library refuses at run time. */
        if (rc != VMI_SUCCESS || !closed || rename(tmp, outpath) != 0) {
            remove(tmp);
            return tool_fail(prog, "%s", rc != VMI_SUCCESS ? tvmi_errmsg(NULL)
                                                           : "cannot write the output file");
        }
    } else if (rc != VMI_SUCCESS) {
        return tool_fail(prog, "%s", tvmi_errmsg(NULL));
    }
    return 0;
}
