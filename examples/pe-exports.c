/*
 * pe-exports.c - a program written the LibVMI way: the PE headers and the
 * named exports of a module in a Windows guest's kernel space, through
 * <libvmi/peparse.h>.  TinyVMI's tests run it on generated Windows images
 * and compare its output with what the generator planted.
 *
 * usage: pe-exports IMAGE BASE
 *   BASE is the module's kernel virtual address (vmi-module-list prints
 *   it).  Prints the machine, the sections, then one line per named
 *   export, "NAME RVA" or "NAME -> FORWARDER", in the name table's order.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <libvmi/libvmi.h>
#include <libvmi/peparse.h>

#define HEADER_BYTES 4096
#define MAX_NAMES 65536

int main(int argc, char **argv)
{
    vmi_instance_t vmi = NULL;
    uint8_t image[HEADER_BYTES];
    struct pe_header *pe = NULL;
    struct export_table et;
    void *opt = NULL;
    uint16_t magic = 0;
    addr_t base, et_rva = 0;
    size_t et_size = 0;
    int rc = 1;

    if (argc != 3) {
        fprintf(stderr, "usage: %s IMAGE BASE\n", argv[0]);
        return 1;
    }
    base = strtoull(argv[2], NULL, 0);
    if (VMI_FAILURE == vmi_init_complete(&vmi, argv[1], VMI_INIT_DOMAINNAME, NULL,
                                         VMI_CONFIG_GLOBAL_FILE_ENTRY, NULL, NULL)) {
        fprintf(stderr, "Failed to init LibVMI library: %s\n", tvmi_init_errmsg());
        return 1;
    }
    ACCESS_CONTEXT(ctx, .translate_mechanism = VMI_TM_PROCESS_PID, .pid = 0, .addr = base);

    if (VMI_FAILURE == peparse_get_image(vmi, &ctx, sizeof(image), image)) {
        fprintf(stderr, "no PE image at 0x%" PRIx64 ": %s\n", base, tvmi_errmsg(vmi));
        goto done;
    }
    peparse_assign_headers(image, NULL, &pe, &magic, &opt, NULL, NULL);
    printf("machine 0x%x, %u sections, %s, export directory RVA 0x%" PRIx64 "\n",
           pe->machine, pe->number_of_sections, magic == IMAGE_PE32_PLUS_MAGIC ? "PE32+" : "PE32",
           peparse_get_idd_rva(IMAGE_DIRECTORY_ENTRY_EXPORT, &magic, opt, NULL, NULL));
    const struct section_header *sec =
        (const struct section_header *)((const uint8_t *)opt + pe->size_of_optional_header);
    for (unsigned i = 0; i < pe->number_of_sections; i++) {
        if ((const uint8_t *)(sec + i + 1) > image + sizeof(image))
            break;
        printf("section %-8.8s RVA 0x%x size 0x%x\n", sec[i].short_name,
               sec[i].virtual_address, sec[i].a.virtual_size);
    }

    if (VMI_FAILURE == peparse_get_export_table(vmi, &ctx, &et, &et_rva, &et_size)) {
        fprintf(stderr, "no export table: %s\n", tvmi_errmsg(vmi));
        goto done;
    }
    ctx.addr = base + et.name;
    char *dll = vmi_read_str(vmi, &ctx);
    printf("exports of %s: %u functions, %u names\n", dll ? dll : "?", et.number_of_functions,
           et.number_of_names);
    free(dll);
    for (uint32_t i = 0; i < et.number_of_names && i < MAX_NAMES; i++) {
        uint32_t name_rva, fn_rva;
        uint16_t ordinal;
        ctx.addr = base + et.address_of_names + 4 * i;
        if (VMI_FAILURE == vmi_read_32(vmi, &ctx, &name_rva))
            continue;
        ctx.addr = base + et.address_of_name_ordinals + 2 * i;
        if (VMI_FAILURE == vmi_read_16(vmi, &ctx, &ordinal))
            continue;
        ctx.addr = base + et.address_of_functions + 4 * (addr_t)ordinal;
        if (VMI_FAILURE == vmi_read_32(vmi, &ctx, &fn_rva))
            continue;
        ctx.addr = base + name_rva;
        char *name = vmi_read_str(vmi, &ctx);
        if (!name)
            continue;
        /* An address inside the export directory is a forwarder string. */
        if (fn_rva >= et_rva && fn_rva < et_rva + et_size) {
            ctx.addr = base + fn_rva;
            char *fwd = vmi_read_str(vmi, &ctx);
            printf("%s -> %s\n", name, fwd ? fwd : "?");
            free(fwd);
        } else {
            printf("%s 0x%x\n", name, fn_rva);
        }
        free(name);
    }
    rc = 0;
done:
    vmi_destroy(vmi);
    return rc;
}
