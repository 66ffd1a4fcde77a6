/*
 * vmi-event-example - watch a running guest switch address space: one line
 * per CR3 write (vCPU, old and new CR3, the pid and name of the process
 * switched to), with LibVMI's events API, until Ctrl-C or -t seconds.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libvmi/events.h>

#include "common/tool.h"

static const char usage[] =
    "usage: vmi-event-example TARGET [SOCKET] [options]\n"
    "Print one line per CR3 write of the running guest (VMI_EVENT_REGISTER on CR3):\n"
    "the vCPU, the old and new CR3, and the pid and name of the process switched to,\n"
    "until Ctrl-C or the time given with -t.\n"
    "\n" TOOL_TARGET_HELP
    "  -t, --time SECONDS  stop after SECONDS (default: run until Ctrl-C)\n"
    "  -c CONFIG       a config file, or 'key = value; ...' (libvmi.conf syntax);\n"
    "                  cr3_method = watch|break chooses how CR3 writes are seen on QEMU\n"
    "  -h, --help      this text\n"
    "Exit status 0 when stopped by time or Ctrl-C, 1 on failure (the reason is printed).\n";

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    interrupted = sig;
}

/* The process whose page table is dtb, looked up in the guest at every
 * event: a process renames itself (prctl) without changing page tables, so
 * a cache would lie. */
typedef struct procs {
    uint64_t dtb, kernel_dtb;
    int pid;
    char name[TVMI_NAME_MAX];
    uint64_t events;
} procs_t;

static int find_proc(void *ctx, const tvmi_process_t *p)
{
    procs_t *ps = ctx;
    if (!p->dtb || p->dtb != ps->dtb)
        return 0;
    ps->pid = p->pid;
    snprintf(ps->name, sizeof(ps->name), "%s", p->name);
    return 1;
}

static void lookup(vmi_instance_t vmi, procs_t *ps, uint64_t cr3)
{
    ps->dtb = cr3 & ~0xfffULL;
    ps->pid = -1;
    snprintf(ps->name, sizeof(ps->name), "%s",
             ps->dtb == ps->kernel_dtb ? "(the kernel's own page table)"
                                       : "(no process has this page table)");
    if (ps->dtb != ps->kernel_dtb)
        tvmi_process_foreach(vmi, find_proc, ps);
}

static event_response_t on_cr3(vmi_instance_t vmi, vmi_event_t *event)
{
    procs_t *ps = event->data;

    lookup(vmi, ps, event->reg_event.value);
    printf("vcpu %" PRIu32 "  cr3 0x%010" PRIx64 " -> 0x%010" PRIx64 "  pid %5d  %s\n",
           event->vcpu_id, (uint64_t)event->reg_event.previous, (uint64_t)event->reg_event.value,
           ps->pid, ps->name);
    if (fflush(stdout) != 0)
        interrupted = SIGPIPE;
    ps->events++;
    return VMI_EVENT_RESPONSE_NONE;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "time", required_argument, NULL, 't' }, { "config", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },       TOOL_LONGOPT_SOCKET,
        { NULL, 0, NULL, 0 },
    };
    const char *prog = "vmi-event-example";
    tool_opts_t o = { 0 };
    uint64_t secs = 0;
    vmi_instance_t vmi;
    vmi_event_t ev;
    procs_t *ps;
    struct sigaction act;
    time_t end;
    int c, rc = 0;

    while ((c = getopt_long(argc, argv, "t:c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 't': if (!tool_parse_addr(prog, "time", optarg, &secs)) return 2; break;
        case 'c': o.config = optarg; break;
        case TOOL_OPT_SOCKET: o.socket = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (argc - optind == 2 && !o.socket)
        o.socket = argv[optind + 1];
    else if (argc - optind != 1) {
        fputs(usage, stderr);
        return 2;
    }
    memset(&act, 0, sizeof(act));
    act.sa_handler = on_signal;
    sigemptyset(&act.sa_mask);
    sigaction(SIGINT, &act, NULL);
    sigaction(SIGTERM, &act, NULL);
    sigaction(SIGHUP, &act, NULL);
    /* A closed pipe (| head) must end the loop, not the process: the guest
     * runs on only once we detach. */
    sigaction(SIGPIPE, &act, NULL);

    if (!tool_open(prog, argv[optind], &o, true, &vmi))
        return 1;
    if (!(ps = calloc(1, sizeof(*ps)))) {
        vmi_destroy(vmi);
        return tool_fail(prog, "out of memory");
    }
    if (vmi_pid_to_dtb(vmi, 0, &ps->kernel_dtb) != VMI_SUCCESS)
        ps->kernel_dtb = 0;
    memset(&ev, 0, sizeof(ev));
    SETUP_REG_EVENT(&ev, CR3, VMI_REGACCESS_W, 0, on_cr3);
    ev.data = ps;
    if (vmi_register_event(vmi, &ev) != VMI_SUCCESS) {
        rc = tool_fail(prog, "%s", tvmi_errmsg(vmi));
        goto out;
    }
    end = secs ? time(NULL) + (time_t)secs : 0;
    while (!interrupted && (!end || time(NULL) < end)) {
        if (vmi_events_listen(vmi, 500) != VMI_SUCCESS) {
            rc = tool_fail(prog, "%s", tvmi_errmsg(vmi));
            break;
        }
    }
    if (vmi_clear_event(vmi, &ev, NULL) != VMI_SUCCESS && rc == 0)
        rc = tool_fail(prog, "%s", tvmi_errmsg(vmi));
    fprintf(stderr, "%s: %" PRIu64 " CR3 writes\n", prog, ps->events);
out:
    vmi_destroy(vmi);
    free(ps);
    return rc;
}
