/*
 * mem-watch - a memory event on the frame behind a process's virtual
 * address, written against LibVMI's API as LibVMI programs do
 * (vmi_translate_uv2p, SETUP_MEM_EVENT, vmi_events_listen).  Only LibVMI's
 * headers; builds unchanged against LibVMI.
 *
 * usage: mem-watch <name of VM> <pid> <vaddr> [<socket>]
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

static event_response_t mem_cb(vmi_instance_t vmi, vmi_event_t *event)
{
    (void)vmi;
    printf("PAGE ACCESS: %c%c%c for GFN %" PRIx64 " (offset %06" PRIx64 ") gla %016" PRIx64
           " (vcpu %" PRIu32 ")\n",
           (event->mem_event.out_access & VMI_MEMACCESS_R) ? 'r' : '-',
           (event->mem_event.out_access & VMI_MEMACCESS_W) ? 'w' : '-',
           (event->mem_event.out_access & VMI_MEMACCESS_X) ? 'x' : '-', event->mem_event.gfn,
           event->mem_event.offset, event->mem_event.gla, event->vcpu_id);
    return VMI_EVENT_RESPONSE_EMULATE;
}

int main(int argc, char **argv)
{
    vmi_instance_t vmi = NULL;
    vmi_init_data_t *init_data = NULL;
    vmi_event_t mem_event;
    struct sigaction act;
    addr_t pa = 0;
    int rc = 1;

    if (argc < 4) {
        fprintf(stderr, "Usage: %s <name of VM> <pid> <vaddr> [<socket>]\n", argv[0]);
        return 1;
    }
    if (argc == 5) {
        init_data = malloc(sizeof(vmi_init_data_t) + sizeof(vmi_init_data_entry_t));
        init_data->count = 1;
        init_data->entry[0].type = VMI_INIT_DATA_KVMI_SOCKET;
        init_data->entry[0].data = strdup(argv[4]);
    }
    act.sa_handler = close_handler;
    act.sa_flags = 0;
    sigemptyset(&act.sa_mask);
    sigaction(SIGTERM, &act, NULL);
    sigaction(SIGINT, &act, NULL);

    if (vmi_init_complete(&vmi, argv[1], VMI_INIT_DOMAINNAME | VMI_INIT_EVENTS, init_data,
                          VMI_CONFIG_GLOBAL_FILE_ENTRY, NULL, NULL) == VMI_FAILURE) {
        printf("Failed to init LibVMI library.\n");
        goto out;
    }
    if (vmi_translate_uv2p(vmi, strtoull(argv[3], NULL, 0), atoi(argv[2]), &pa) ==
        VMI_FAILURE) {
        printf("Cannot translate %s in pid %s\n", argv[3], argv[2]);
        goto out;
    }
    memset(&mem_event, 0, sizeof(mem_event));
    SETUP_MEM_EVENT(&mem_event, pa >> 12, VMI_MEMACCESS_W, mem_cb, 0);
    if (vmi_register_event(vmi, &mem_event) == VMI_FAILURE) {
        printf("Failed to register the memory event\n");
        goto out;
    }
    while (!interrupted)
        if (vmi_events_listen(vmi, 500) == VMI_FAILURE)
            break;
    vmi_clear_event(vmi, &mem_event, NULL);
    rc = interrupted ? 0 : 1;
out:
    vmi_destroy(vmi);
    if (init_data) {
        free(init_data->entry[0].data);
        free(init_data);
    }
    return rc;
}
