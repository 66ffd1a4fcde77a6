/*
 * vmi-module-list - the guest kernel's loaded modules (Linux modules,
 * Windows drivers) as its OS layer sees them.
 */
#include <inttypes.h>

#include "common/tool.h"

static const char usage[] =
    "usage: vmi-module-list TARGET [options]\n"
    "List the guest kernel's loaded modules: name, base address and size.\n"
    "\n"
    "  -c CONFIG    a config file, or 'key = value; ...' (libvmi.conf syntax)\n"
    "      --json   a JSON array instead of a table\n"
    "  -h, --help   this text\n"
    "Exit status 1 when the list could not be read to its end.\n";

typedef struct out {
    bool json;
    size_t n;
} out_t;

static int print_mod(void *ctx, const tvmi_module_t *m)
{
    out_t *o = ctx;
    if (o->json) {
        printf("%s\n  {\"name\":", o->n ? "," : "");
        tool_json_str(stdout, m->name);
        printf(",\"base\":\"0x%" PRIx64 "\",\"size\":%" PRIu64 "}", m->base, m->size);
    } else {
        printf("%-24s  0x%016" PRIx64 "  %10" PRIu64 "\n", m->name, m->base, m->size);
    }
    o->n++;
    return 0;
}

int main(int argc, char **argv)
{
    const char *prog = "vmi-module-list";
    tool_opts_t o = { 0 };
    vmi_instance_t vmi;
    out_t out = { 0 };
    status_t st;
    int c = 0, arg;

    if ((arg = tool_args(argc, argv, usage, 1, &o, &c)) < 0)
        return c;
    if (!tool_open(prog, argv[arg], &o, true, &vmi))
        return 1;
    out.json = o.json;
    if (o.json)
        printf("[");
    else
        printf("%-24s  %-18s  %10s\n", "NAME", "BASE", "SIZE");
    st = tvmi_module_foreach(vmi, print_mod, &out);
    if (o.json)
        printf("\n]\n");
    if (st != VMI_SUCCESS)
        tool_fail(prog, "module list incomplete after %zu entries: %s", out.n, tvmi_errmsg(vmi));
    vmi_destroy(vmi);
    return st == VMI_SUCCESS ? 0 : 1;
}
