/*
 * breakpoint-recoil - LibVMI's software-breakpoint idiom, written the way
 * LibVMI programs write it: 0xCC into the kernel's text at a symbol, an
 * INT3 event that counts hits, puts the original byte back, swallows the
 * INT3 (reinject = 0) and asks for one single step (TOGGLE_SINGLESTEP),
 * whose event writes 0xCC again.  Only LibVMI's headers; builds unchanged
 * against LibVMI.
 *
 * usage: breakpoint-recoil <name of VM> <symbol> [<socket>]
 */
#define _POSIX_C_SOURCE 200809L /* sigaction, strdup under -std=c11 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libvmi/libvmi.h>
#include <libvmi/events.h>

static int interrupted;
static void close_handler(int sig)
{
    interrupted = sig;
}

struct bp {
    addr_t va;
    uint8_t saved;
    uint64_t hits;
};

static event_response_t int3_cb(vmi_instance_t vmi, vmi_event_t *event)
{
    struct bp *bp = event->data;
    event->interrupt_event.reinject = 1;
    if (!event->interrupt_event.insn_length)
        event->interrupt_event.insn_length = 1;
    if (event->x86_regs->rip != bp->va)
        return VMI_EVENT_RESPONSE_NONE;
    event->interrupt_event.reinject = 0;
    bp->hits++;
    printf("[%" PRIu32 "] breakpoint hit, count %" PRIu64 "\n", event->vcpu_id, bp->hits);
    if (vmi_write_8_va(vmi, bp->va, 0, &bp->saved) == VMI_FAILURE)
        interrupted = -1;
    return VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP;
}

static event_response_t step_cb(vmi_instance_t vmi, vmi_event_t *event)
{
    struct bp *bp = event->data;
    uint8_t cc = 0xcc;
    if (vmi_write_8_va(vmi, bp->va, 0, &cc) == VMI_FAILURE)
        interrupted = -1;
    return VMI_EVENT_RESPONSE_TOGGLE_SINGLESTEP;
}

int main(int argc, char **argv)
{
    vmi_instance_t vmi = NULL;
    vmi_init_data_t *init_data = NULL;
    vmi_event_t int3_event, ss_event;
    vmi_mode_t mode;
    struct sigaction act;
    struct bp bp = { 0, 0, 0 };
    uint8_t cc = 0xcc;
    int rc = 1;

    if (argc < 3) {
        fprintf(stderr, "Usage: %s <name of VM> <symbol> [<socket>]\n", argv[0]);
        return 1;
    }
    if (argc == 4) {
        init_data = malloc(sizeof(vmi_init_data_t) + sizeof(vmi_init_data_entry_t));
        init_data->count = 1;
        init_data->entry[0].type = VMI_INIT_DATA_KVMI_SOCKET;
        init_data->entry[0].data = strdup(argv[3]);
    }
    act.sa_handler = close_handler;
    act.sa_flags = 0;
    sigemptyset(&act.sa_mask);
    sigaction(SIGHUP, &act, NULL);
    sigaction(SIGTERM, &act, NULL);
    sigaction(SIGINT, &act, NULL);
    sigaction(SIGALRM, &act, NULL);

    if (vmi_get_access_mode(NULL, argv[1], VMI_INIT_DOMAINNAME, init_data, &mode) ==
            VMI_FAILURE ||
        vmi_init_complete(&vmi, argv[1], VMI_INIT_DOMAINNAME | VMI_INIT_EVENTS, init_data,
                          VMI_CONFIG_GLOBAL_FILE_ENTRY, NULL, NULL) == VMI_FAILURE) {
        printf("Failed to init LibVMI library.\n");
        goto out;
    }
    if (vmi_translate_ksym2v(vmi, argv[2], &bp.va) == VMI_FAILURE ||
        vmi_read_8_va(vmi, bp.va, 0, &bp.saved) == VMI_FAILURE) {
        printf("Cannot find %s\n", argv[2]);
        goto out;
    }
    memset(&ss_event, 0, sizeof(ss_event));
    SETUP_SINGLESTEP_EVENT(&ss_event, 1, step_cb, 0);
    ss_event.data = &bp;
    memset(&int3_event, 0, sizeof(int3_event));
    SETUP_INTERRUPT_EVENT(&int3_event, int3_cb);
    int3_event.data = &bp;
    if (vmi_register_event(vmi, &ss_event) == VMI_FAILURE ||
        vmi_register_event(vmi, &int3_event) == VMI_FAILURE) {
        printf("Failed to register the events\n");
        goto out;
    }
    if (vmi_write_8_va(vmi, bp.va, 0, &cc) == VMI_FAILURE) {
        printf("Failed to write the breakpoint\n");
        goto out;
    }
    while (!interrupted)
        if (vmi_events_listen(vmi, 500) == VMI_FAILURE)
            break;
    /* Drain before restoring: if the loop stopped between the breakpoint and
     * its single step, the pending step's callback writes 0xCC again, and a
     * breakpoint left behind after the events are cleared panics the guest. */
    vmi_pause_vm(vmi);
    while (vmi_are_events_pending(vmi) > 0)
        vmi_events_listen(vmi, 0);
    vmi_write_8_va(vmi, bp.va, 0, &bp.saved);
    vmi_clear_event(vmi, &int3_event, NULL);
    vmi_clear_event(vmi, &ss_event, NULL);
    vmi_resume_vm(vmi);
    printf("%" PRIu64 " hits\n", bp.hits);
    rc = interrupted > 0 ? 0 : 1;
out:
    vmi_destroy(vmi);
    if (init_data) {
        free(init_data->entry[0].data);
        free(init_data);
    }
    return rc;
}
