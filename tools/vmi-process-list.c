/*
 * vmi-process-list - the guest's processes as its OS layer sees them.
 */
#include <inttypes.h>

#include "common/tool.h"

static const char usage[] =
    "usage: vmi-process-list TARGET [options]\n"
    "List the guest's processes: pid, name, page-table base, and the address of\n"
    "the kernel's process structure (task_struct / EPROCESS).\n"
    "\n"
    "  -c CONFIG    a config file, or 'key = value; ...' (libvmi.conf syntax);\n"
    "               without one, the OS and its offsets are discovered\n"
    "      --json   a JSON array instead of a table\n"
    "  -h, --help   this text\n"
    "Exit status 1 when the list could not be read to its end (the entries read\n"
    "before the damage are still printed, then the reason).\n";

typedef struct out {
    bool json;
    size_t n;
} out_t;

static int print_proc(void *ctx, const tvmi_process_t *p)
{
    out_t *o = ctx;
    if (o->json) {
        printf("%s\n  {\"pid\":%d,\"name\":", o->n ? "," : "", (int)p->pid);
        tool_json_str(stdout, p->name);
        printf(",\"dtb\":\"0x%" PRIx64 "\",\"task\":\"0x%" PRIx64 "\",\"ppid\":%d}", p->dtb,
               p->task, (int)p->ppid);
    } else {
        printf("%7d  %-16s  0x%016" PRIx64 "  0x%016" PRIx64 "\n", (int)p->pid, p->name,
               p->dtb, p->task);
    }
    o->n++;
    return 0;
}

int main(int argc, char **argv)
{
    const char *prog = "vmi-process-list";
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
        printf("%7s  %-16s  %-18s  %-18s\n", "PID", "NAME", "PAGE TABLE", "TASK");
    st = tvmi_process_foreach(vmi, print_proc, &out);
    if (o.json)
        printf("\n]\n");
    if (st != VMI_SUCCESS)
        tool_fail(prog, "process list incomplete after %zu entries: %s", out.n,
                  tvmi_errmsg(vmi));
    vmi_destroy(vmi);
    return st == VMI_SUCCESS ? 0 : 1;
}
