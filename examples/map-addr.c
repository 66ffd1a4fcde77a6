/*
 * map-addr.c - a program written the LibVMI way, against LibVMI's API only.
 * TinyVMI's install test builds it with `pkg-config --cflags --libs tinyvmi`
 * to show that LibVMI programs compile against TinyVMI unchanged.
 *
 * usage: map-addr IMAGE VADDR    prints the page at VADDR as hex
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <libvmi/libvmi.h>

#define PAGE_SIZE 4096

int main(int argc, char **argv)
{
    vmi_instance_t vmi = NULL;
    vmi_init_error_t err;
    unsigned char memory[PAGE_SIZE];
    addr_t vaddr, paddr;
    status_t status;

    if (argc != 3) {
        fprintf(stderr, "usage: %s IMAGE VADDR\n", argv[0]);
        return 1;
    }
    vaddr = strtoull(argv[2], NULL, 16);

    if (VMI_FAILURE == vmi_init_complete(&vmi, argv[1], VMI_INIT_DOMAINNAME, NULL,
                                         VMI_CONFIG_GLOBAL_FILE_ENTRY, NULL, &err)) {
        printf("Failed to init LibVMI library (error %d).\n", err);
        return 1;
    }
    printf("page mode %u, address width %u, memory %" PRIu64 " bytes\n",
           vmi_get_page_mode(vmi, 0), vmi_get_address_width(vmi), vmi_get_memsize(vmi));

    ACCESS_CONTEXT(ctx, .translate_mechanism = VMI_TM_PROCESS_PID, .pid = 0,
                   .addr = vaddr & ~(addr_t)(PAGE_SIZE - 1));
    status = vmi_read(vmi, &ctx, PAGE_SIZE, memory, NULL);
    if (status == VMI_SUCCESS && vmi_translate_kv2p(vmi, vaddr, &paddr) == VMI_SUCCESS) {
        printf("0x%" PRIx64 " -> 0x%" PRIx64 "\n", vaddr, paddr);
        vmi_print_hex(memory, PAGE_SIZE);
    } else {
        printf("failed to map memory.\n");
    }
    vmi_destroy(vmi);
    return status == VMI_SUCCESS ? 0 : 1;
}
