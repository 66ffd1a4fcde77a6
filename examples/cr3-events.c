/*
 * cr3-events - a program written against LibVMI's API the way LibVMI's own
 * event examples are (vmi_get_access_mode, vmi_init with VMI_INIT_EVENTS,
 * vmi_init_paging, a register event on CR3, vmi_events_listen until a
 * signal).  It includes only <libvmi/libvmi.h> and <libvmi/events.h>, so it
 * builds unchanged against LibVMI too: the check that TinyVMI's events API
 * is LibVMI's.
 *
 * usage: cr3-events <name of VM> [<socket>]
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

static event_response_t cr3_cb(vmi_instance_t vmi, vmi_event_t *event)
{
    vmi_pid_t pid = -1;
    vmi_dtb_to_pid(vmi, event->reg_event.value, &pid);
    printf("CR3=%" PRIx64 " (pid %d) on vcpu %" PRIu32 ", previous CR3=%" PRIx64 "\n",
           event->reg_event.value, pid, event->vcpu_id, event->reg_event.previous);
    return VMI_EVENT_RESPONSE_NONE;
}

int main(int argc, char **argv)
{
    vmi_instance_t vmi = NULL;
    vmi_init_data_t *init_data = NULL;
    vmi_event_t cr3_event;
    vmi_mode_t mode;
    struct sigaction act;
    int rc = 1;

    if (argc < 2) {
        fprintf(stderr, "Usage: %s <name of VM> [<socket>]\n", argv[0]);
        return 1;
    }
    if (argc == 3) {
        init_data = malloc(sizeof(vmi_init_data_t) + sizeof(vmi_init_data_entry_t));
        init_data->count = 1;
        init_data->entry[0].type = VMI_INIT_DATA_KVMI_SOCKET;
        init_data->entry[0].data = strdup(argv[2]);
    }
    act.sa_handler = close_handler;
    act.sa_flags = 0;
    sigemptyset(&act.sa_mask);
    sigaction(SIGHUP, &act, NULL);
    sigaction(SIGTERM, &act, NULL);
    sigaction(SIGINT, &act, NULL);
    sigaction(SIGALRM, &act, NULL);

    if (vmi_get_access_mode(NULL, argv[1], VMI_INIT_DOMAINNAME, init_data, &mode) ==
        VMI_FAILURE) {
        printf("Failed to find a supported hypervisor\n");
        goto out;
    }
    if (vmi_init(&vmi, mode, argv[1], VMI_INIT_DOMAINNAME | VMI_INIT_EVENTS, init_data,
                 NULL) == VMI_FAILURE) {
        printf("Failed to init LibVMI library.\n");
        goto out;
    }
    if (vmi_init_paging(vmi, 0) == VMI_PM_UNKNOWN) {
        printf("Failed to determine paging.\n");
        goto out;
    }
    memset(&cr3_event, 0, sizeof(vmi_event_t));
    cr3_event.version = VMI_EVENTS_VERSION;
    cr3_event.type = VMI_EVENT_REGISTER;
    cr3_event.callback = cr3_cb;
    cr3_event.reg_event.reg = CR3;
    cr3_event.reg_event.in_access = VMI_REGACCESS_W;
    if (vmi_register_event(vmi, &cr3_event) == VMI_FAILURE) {
        printf("Failed to register the CR3 event\n");
        goto out;
    }
    while (!interrupted)
        if (vmi_events_listen(vmi, 500) == VMI_FAILURE) {
            printf("Error waiting for events, quitting...\n");
            break;
        }
    vmi_pause_vm(vmi);
    if (vmi_are_events_pending(vmi) > 0)
        vmi_events_listen(vmi, 0);
    vmi_clear_event(vmi, &cr3_event, NULL);
    vmi_resume_vm(vmi);
    printf("Finished.\n");
    rc = interrupted ? 0 : 1;
out:
    vmi_destroy(vmi);
    if (init_data) {
        free(init_data->entry[0].data);
        free(init_data);
    }
    return rc;
}
