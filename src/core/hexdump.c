/*
 * hexdump.c - LibVMI's hex-dump printers: offset, 16 bytes in hex, the same
 * bytes as text; for a buffer or for guest memory by address or symbol.
 * Only the bytes that could be read are printed, to the standard output
 * through the platform seam (util/sys.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/core.h"
#include "util/sys.h"

void vmi_print_hex(const unsigned char *data, unsigned long length)
{
    if (!data)
        return;
    /* A line at a time into a buffer: offset (up to 16 hex digits), 16
     * bytes, the text column: at most 16 + 2 + 49 + 2 + 16 + 2 < 96. */
    char line[96];
    for (unsigned long i = 0; i < length; i += 16) {
        size_t n = (size_t)snprintf(line, sizeof(line), "%08lx  ", i);
        for (unsigned long j = 0; j < 16; j++) {
            if (i + j < length)
                n += (size_t)snprintf(line + n, sizeof(line) - n, "%02x ", data[i + j]);
            else
                n += (size_t)snprintf(line + n, sizeof(line) - n, "   ");
            if (j == 7)
                line[n++] = ' ';
        }
        line[n++] = ' ';
        line[n++] = '|';
        for (unsigned long j = 0; j < 16 && i + j < length; j++) {
            unsigned char c = data[i + j];
            line[n++] = c >= 0x20 && c < 0x7f ? (char)c : '.';
        }
        line[n++] = '|';
        line[n++] = '\n';
        util_sys_write(NULL, line, n);
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
