/*
 * write.c - vmi_write_*: the mirror of read.c.  Targets that cannot be
 * written (memory images) fail with a reason instead of pretending.
 */
#include "core/core.h"
#include "core/instance.h"

static status_t write_ctx(vmi_instance_t vmi, const access_context_t *ctx, size_t count,
                          void *buf, size_t *bytes_written)
{
    if (bytes_written)
        *bytes_written = 0;
    if (!vmi)
        return VMI_FAILURE;
    if (!vmi->drv->write)
        return core_driver_lacks(vmi, "write guest memory: the target is read-only");
    return core_access(vmi, ctx, buf, count, bytes_written, true);
}

status_t vmi_write(vmi_instance_t vmi, const access_context_t *ctx, size_t count, void *buf,
                   size_t *bytes_written)
{
    CORE_API(vmi, write_ctx(vmi, ctx, count, buf, bytes_written));
}

status_t vmi_write_pa(vmi_instance_t vmi, addr_t paddr, size_t count, void *buf, size_t *n)
{
    CORE_CTX_PA(c, paddr);
    CORE_API(vmi, write_ctx(vmi, &c, count, buf, n));
}

status_t vmi_write_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid, size_t count, void *buf,
                      size_t *n)
{
    CORE_CTX_VA(c, vaddr, pid);
    CORE_API(vmi, write_ctx(vmi, &c, count, buf, n));
}

status_t vmi_write_ksym(vmi_instance_t vmi, const char *sym, size_t count, void *buf, size_t *n)
{
    CORE_CTX_KSYM(c, sym);
    CORE_API(vmi, write_ctx(vmi, &c, count, buf, n));
}

static status_t write_exact(vmi_instance_t vmi, const access_context_t *ctx, size_t n, void *v)
{
    if (vmi && !v) {
        core_error(vmi, "a required argument is NULL (value)");
        return VMI_FAILURE;
    }
    return write_ctx(vmi, ctx, n, v, NULL);
}

/* A guest pointer: as wide as the guest's addresses. */
static status_t write_addr(vmi_instance_t vmi, const access_context_t *ctx, addr_t *value)
{
    uint32_t v;
    CORE_REQUIRE(vmi, value);
    if (vmi->addr_width != 4)
        return write_exact(vmi, ctx, 8, value);
    v = (uint32_t)*value;
    return write_exact(vmi, ctx, 4, &v);
}

status_t vmi_write_8(vmi_instance_t vmi, const access_context_t *ctx, uint8_t *value)
{
    CORE_API(vmi, write_exact(vmi, ctx, 1, value));
}
status_t vmi_write_16(vmi_instance_t vmi, const access_context_t *ctx, uint16_t *value)
{
    CORE_API(vmi, write_exact(vmi, ctx, 2, value));
}
status_t vmi_write_32(vmi_instance_t vmi, const access_context_t *ctx, uint32_t *value)
{
    CORE_API(vmi, write_exact(vmi, ctx, 4, value));
}
status_t vmi_write_64(vmi_instance_t vmi, const access_context_t *ctx, uint64_t *value)
{
    CORE_API(vmi, write_exact(vmi, ctx, 8, value));
}
status_t vmi_write_addr(vmi_instance_t vmi, const access_context_t *ctx, addr_t *value)
{
    CORE_API(vmi, write_addr(vmi, ctx, value));
}

#define WRITE_FAMILY(bits, type, impl)                                                      \
    status_t vmi_write_##bits##_pa(vmi_instance_t vmi, addr_t paddr, type *value)            \
    {                                                                                       \
        CORE_CTX_PA(c, paddr);                                                              \
        CORE_API(vmi, impl);                                                                \
    }                                                                                       \
    status_t vmi_write_##bits##_va(vmi_instance_t vmi, addr_t vaddr, vmi_pid_t pid,         \
                                   type *value)                                             \
    {                                                                                       \
        CORE_CTX_VA(c, vaddr, pid);                                                         \
        CORE_API(vmi, impl);                                                                \
    }                                                                                       \
    status_t vmi_write_##bits##_ksym(vmi_instance_t vmi, const char *sym, type *value)      \
    {                                                                                       \
        CORE_CTX_KSYM(c, sym);                                                              \
        CORE_API(vmi, impl);                                                                \
    }

WRITE_FAMILY(8, uint8_t, write_exact(vmi, &c, 1, value))
WRITE_FAMILY(16, uint16_t, write_exact(vmi, &c, 2, value))
WRITE_FAMILY(32, uint32_t, write_exact(vmi, &c, 4, value))
WRITE_FAMILY(64, uint64_t, write_exact(vmi, &c, 8, value))
WRITE_FAMILY(addr, addr_t, write_addr(vmi, &c, value))
