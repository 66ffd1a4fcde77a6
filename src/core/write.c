/*
 * write.c - vmi_write_*: the mirror of read.c.  Targets that cannot be
 * written (memory images) fail with a reason instead of pretending.
 */
#include "core/core.h"
#include "core/instance.h"

status_t core_translate_ctx(vmi_instance_t vmi, const access_context_t *ctx, addr_t dtb,
                            addr_t va, addr_t *pa);

status_t vmi_write(vmi_instance_t vmi, const access_context_t *ctx, size_t count, void *buf,
                   size_t *bytes_written)
{
    addr_t dtb, va;
    size_t done = 0;
    const uint8_t *in = buf;

    if (bytes_written)
        *bytes_written = 0;
    if (!vmi)
        return VMI_FAILURE;
    if (!vmi->drv->write) {
        core_error(vmi, "vmi_write: the %s target is read-only", vmi->drv->name);
        return VMI_FAILURE;
    }
    if (core_resolve_ctx(vmi, ctx, &dtb, &va) != VMI_SUCCESS)
        return VMI_FAILURE;
    while (done < count) {
        addr_t cur = va + done, pa = cur;
        size_t n = 0x1000 - (cur & 0xfff), got = 0;
        if (n > count - done)
            n = count - done;
        if (dtb != CORE_PHYSICAL && core_translate_ctx(vmi, ctx, dtb, cur, &pa) != VMI_SUCCESS)
            break;
        if (vmi->drv->write(vmi->drv_state, pa, in + done, n, &got, &vmi->err) != VMI_SUCCESS) {
            done += got;
            break;
        }
        /* A cached copy of this page is stale now. */
        util_lru_remove(vmi->pages, pa >> 12, 0);
        done += n;
    }
    if (bytes_written)
        *bytes_written = done;
    if (done < count) {
        core_error_prefix(vmi, "vmi_write: 0x%llx", (unsigned long long)(va + done));
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

#define CTX_PA(c, a) ACCESS_CONTEXT(c, .tm = VMI_TM_NONE, .addr = (a))
#define CTX_VA(c, a, p) ACCESS_CONTEXT(c, .tm = VMI_TM_PROCESS_PID, .addr = (a), .pid = (p))
#define CTX_KSYM(c, s) ACCESS_CONTEXT(c, .tm = VMI_TM_KERNEL_SYMBOL, .ksym = (s))

status_t vmi_write_pa(vmi_instance_t vmi, addr_t paddr, size_t count, void *buf, size_t *n)
{
    CTX_PA(c, paddr);
    return vmi_write(vmi, &c, count, buf, n);
}

status_t vmi_write_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, size_t count, void *buf,
                      size_t *n)
{
    CTX_VA(c, vaddr, pid);
    return vmi_write(vmi, &c, count, buf, n);
}

status_t vmi_write_ksym(vmi_instance_t vmi, const char *sym, size_t count, void *buf, size_t *n)
{
    CTX_KSYM(c, sym);
    return vmi_write(vmi, &c, count, buf, n);
}

static status_t write_exact(vmi_instance_t vmi, const access_context_t *ctx, size_t n, void *v)
{
    return vmi_write(vmi, ctx, n, v, NULL);
}

status_t vmi_write_8(vmi_instance_t vmi, const access_context_t *ctx, uint8_t *value)
{
    return write_exact(vmi, ctx, 1, value);
}
status_t vmi_write_16(vmi_instance_t vmi, const access_context_t *ctx, uint16_t *value)
{
    return write_exact(vmi, ctx, 2, value);
}
status_t vmi_write_32(vmi_instance_t vmi, const access_context_t *ctx, uint32_t *value)
{
    return write_exact(vmi, ctx, 4, value);
}
status_t vmi_write_64(vmi_instance_t vmi, const access_context_t *ctx, uint64_t *value)
{
    return write_exact(vmi, ctx, 8, value);
}
status_t vmi_write_addr(vmi_instance_t vmi, const access_context_t *ctx, addr_t *value)
{
    if (!vmi || !value)
        return VMI_FAILURE;
    if (vmi->addr_width == 4) {
        uint32_t v = (uint32_t)*value;
        return write_exact(vmi, ctx, 4, &v);
    }
    return write_exact(vmi, ctx, 8, value);
}

#define WRITE_FAMILY(bits, type)                                                            \
    status_t vmi_write_##bits##_pa(vmi_instance_t vmi, addr_t paddr, type *value)            \
    {                                                                                       \
        CTX_PA(c, paddr);                                                                   \
        return vmi_write_##bits(vmi, &c, value);                                            \
    }                                                                                       \
    status_t vmi_write_##bits##_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid,         \
                                   type *value)                                             \
    {                                                                                       \
        CTX_VA(c, vaddr, pid);                                                              \
        return vmi_write_##bits(vmi, &c, value);                                            \
    }                                                                                       \
    status_t vmi_write_##bits##_ksym(vmi_instance_t vmi, const char *sym, type *value)      \
    {                                                                                       \
        CTX_KSYM(c, sym);                                                                   \
        return vmi_write_##bits(vmi, &c, value);                                            \
    }

WRITE_FAMILY(8, uint8_t)
WRITE_FAMILY(16, uint16_t)
WRITE_FAMILY(32, uint32_t)
WRITE_FAMILY(64, uint64_t)
WRITE_FAMILY(addr, addr_t)
