/*
 * access.c - moving bytes between a caller's buffer and guest memory named
 * by an access context: resolve the context once, then go page by page
 * (each page translated on its own, since neighbours in virtual memory need
 * not be neighbours in physical memory).  vmi_read and vmi_write are thin
 * wrappers around core_access.
 *
 * A page the page tables do not translate may still be held by the target
 * by virtual address (driver.h's read_va: a Windows triage dump keeps
 * copies of kernel memory without page tables).  Such a read's reason is
 * the target's ("not held by ... triage dump") when the target holds no
 * physical memory, where no translation can ever succeed; otherwise the
 * page tables' reason stands.
 */
#include "core/core.h"
#include "core/instance.h"

static status_t move_pa(vmi_instance_t vmi, addr_t pa, uint8_t *buf, size_t n, size_t *got,
                        bool write)
{
    return write ? core_write_pa(vmi, pa, buf, n, got) : core_read_pa(vmi, pa, buf, n, got);
}

status_t core_access(vmi_instance_t vmi, const access_context_t *ctx, void *buf, size_t count,
                     size_t *done_out, bool write)
{
    const char *what = write ? "writing" : "reading";
    addr_t dtb, va;
    size_t done = 0;
    uint8_t *p = buf;
    status_t rc = VMI_SUCCESS;

    if (done_out)
        *done_out = 0;
    if (!buf && count) {
        core_error(vmi, "%s: the buffer is NULL", what);
        return VMI_FAILURE;
    }
    if (core_resolve_ctx(vmi, ctx, &dtb, &va) != VMI_SUCCESS)
        return VMI_FAILURE;

    if (dtb == CORE_PHYSICAL) {
        rc = move_pa(vmi, va, p, count, &done, write);
        if (rc != VMI_SUCCESS)
            core_error_prefix(vmi, "%s: physical 0x%llx", what, (unsigned long long)va);
    }
    while (dtb != CORE_PHYSICAL && done < count) {
        addr_t cur = va + done, pa;
        size_t n = 0x1000 - (cur & 0xfff), got = 0;
        if (n > count - done)
            n = count - done;
        if (core_translate_ctx(vmi, ctx, dtb, cur, &pa) != VMI_SUCCESS) {
            if (!write && vmi->drv->read_va) {
                util_err_t verr;
                util_err_clear(&verr);
                if (vmi->drv->read_va(vmi->drv_state, cur, p + done, n, &got, &verr) ==
                    VMI_SUCCESS) {
                    done += n;
                    continue;
                }
                done += got;
                if (vmi->drv->memsize(vmi->drv_state) == 0)
                    core_error(vmi, "%s", verr.msg);
            }
            core_error_prefix(vmi, "%s: 0x%llx via page table 0x%llx", what,
                              (unsigned long long)cur, (unsigned long long)dtb);
            rc = VMI_FAILURE;
            break;
        }
        if (move_pa(vmi, pa, p + done, n, &got, write) != VMI_SUCCESS) {
            done += got;
            core_error_prefix(vmi, "%s: 0x%llx (physical 0x%llx)", what,
                              (unsigned long long)cur, (unsigned long long)pa);
            rc = VMI_FAILURE;
            break;
        }
        done += n;
    }
    if (done_out)
        *done_out = done;
    return rc;
}
