/*
 * hexdump.c - LibVMI's hex-dump printers: offset, 16 bytes in hex, the same
 * bytes as text; for a buffer or for guest memory by address or symbol.
 * Only the bytes that could be read are printed.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/core.h"

void vmi_print_hex(const unsigned char *data, unsigned long length)
{
    if (!data)
        return;
    for (unsigned long i = 0; i < length; i += 16) {
        printf("%08lx  ", i);
        for (unsigned long j = 0; j < 16; j++) {
            if (i + j < length)
                printf("%02x ", data[i + j]);
            else
                printf("   ");
            if (j == 7)
                putchar(' ');
        }
        printf(" |");
        for (unsigned long j = 0; j < 16 && i + j < length; j++) {
            unsigned char c = data[i + j];
            putchar(c >= 0x20 && c < 0x7f ? c : '.');
        }
        printf("|\n");
    }
}

static void print_ctx(vmi_instance_t vmi, const access_context_t *ctx, size_t length)
{
    unsigned char *buf;
    size_t got = 0;

    if (!vmi || !length)
        return;
    if (!(buf = malloc(length))) {
        core_error(vmi, "out of memory for %zu bytes", length);
        return;
    }
    core_guard_hold(NULL, buf);
    vmi_read(vmi, ctx, length, buf, &got);
    core_guard_hold(buf, NULL);
    vmi_print_hex(buf, got);
    free(buf);
}

void vmi_print_hex_pa(vmi_instance_t vmi, addr_t paddr, size_t length)
{
    ACCESS_CONTEXT(c, .tm = VMI_TM_NONE, .addr = paddr);
    CORE_API_VOID(vmi, print_ctx(vmi, &c, length));
}

void vmi_print_hex_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, size_t length)
{
    ACCESS_CONTEXT(c, .tm = VMI_TM_PROCESS_PID, .addr = vaddr, .pid = pid);
    CORE_API_VOID(vmi, print_ctx(vmi, &c, length));
}

void vmi_print_hex_ksym(vmi_instance_t vmi, const char *sym, size_t length)
{
    ACCESS_CONTEXT(c, .tm = VMI_TM_KERNEL_SYMBOL, .ksym = sym);
    CORE_API_VOID(vmi, print_ctx(vmi, &c, length));
}
