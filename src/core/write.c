/*
 * write.c - vmi_write_*: the mirror of read.c.  Targets that cannot be
 * written (memory images) fail with a reason instead of pretending.
 */
#include "core/core.h"
#include "core/instance.h"

status_t vmi_write(vmi_instance_t vmi, const access_context_t *ctx, size_t count, void *buf,
                   size_t *bytes_written)
{
    if (bytes_written)
        *bytes_written = 0;
    if (!vmi)
        return VMI_FAILURE;
    if (!vmi->drv->write) {
        core_error(vmi, "vmi_write: the %s target is read-only", vmi->drv->name);
        return VMI_FAILURE;
    }
    return core_access(vmi, ctx, buf, count, bytes_written, true);
}

status_t vmi_write_pa(vmi_instance_t vmi, addr_t paddr, size_t count, void *buf, size_t *n)
{
    CORE_CTX_PA(c, paddr);
    return vmi_write(vmi, &c, count, buf, n);
}

status_t vmi_write_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, size_t count, void *buf,
                      size_t *n)
{
    CORE_CTX_VA(c, vaddr, pid);
    return vmi_write(vmi, &c, count, buf, n);
}

status_t vmi_write_ksym(vmi_instance_t vmi, const char *sym, size_t count, void *buf, size_t *n)
{
    CORE_CTX_KSYM(c, sym);
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
    CORE_REQUIRE(vmi, value);
    if (vmi->addr_width == 4) {
        uint32_t v = (uint32_t)*value;
        return write_exact(vmi, ctx, 4, &v);
    }
    return write_exact(vmi, ctx, 8, value);
}

#define WRITE_FAMILY(bits, type)                                                            \
    status_t vmi_write_##bits##_pa(vmi_instance_t vmi, addr_t paddr, type *value)            \
    {                                                                                       \
        CORE_CTX_PA(c, paddr);                                                                   \
        return vmi_write_##bits(vmi, &c, value);                                            \
    }                                                                                       \
    status_t vmi_write_##bits##_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid,         \
                                   type *value)                                             \
    {                                                                                       \
        CORE_CTX_VA(c, vaddr, pid);                                                              \
        return vmi_write_##bits(vmi, &c, value);                                            \
    }                                                                                       \
    status_t vmi_write_##bits##_ksym(vmi_instance_t vmi, const char *sym, type *value)      \
    {                                                                                       \
        CORE_CTX_KSYM(c, sym);                                                                   \
        return vmi_write_##bits(vmi, &c, value);                                            \
    }

WRITE_FAMILY(8, uint8_t)
WRITE_FAMILY(16, uint16_t)
WRITE_FAMILY(32, uint32_t)
WRITE_FAMILY(64, uint64_t)
WRITE_FAMILY(addr, addr_t)
