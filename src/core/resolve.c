/*
 * resolve.c - the two answers the core needs from an OS layer to resolve
 * access contexts (a kernel symbol's address, a process's page table),
 * asked through the core_os_t the layer attached and cached in the
 * instance's bounded caches.  The rest of the OS calls are in os/api.c.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/instance.h"

static const char *os_missing(vmi_instance_t vmi)
{
    return "needs an OS layer, and none is running (set ostype in the config, or see why "
           "detection failed)";
}

os_t vmi_get_ostype(vmi_instance_t vmi)
{
    /* VMI_OS_UNKNOWN is an answer (no layer runs), not a failure. */
    CORE_API_RET(vmi, os_t, vmi && vmi->os ? vmi->os->type : VMI_OS_UNKNOWN, vmi != NULL);
}

static void symcache_put(vmi_instance_t vmi, const char *symbol, addr_t va)
{
    char *key = core_symcache_key(0, 0, symbol);
    addr_t *v = malloc(sizeof(*v));
    if (key && v) {
        *v = va;
        if (util_hash_count(vmi->symcache) >= vmi->symcache_max)
            util_hash_clear(vmi->symcache);
        if (util_hash_insert(vmi->symcache, key, v))
            return;
    }
    /* Out of memory: the answer is still right, only not cached. */
    free(key);
    free(v);
}

status_t core_ksym2v(vmi_instance_t vmi, const char *symbol, addr_t *vaddr)
{
    char *key;
    addr_t *hit;

    CORE_REQUIRE(vmi, symbol && vaddr);
    key = core_symcache_key(0, 0, symbol);
    hit = key ? util_hash_lookup(vmi->symcache, key) : NULL;
    free(key);
    if (hit) {
        *vaddr = *hit;
        return VMI_SUCCESS;
    }
    if (!vmi->os || !vmi->os->ksym2v) {
        core_error(vmi, "kernel symbol lookup %s", os_missing(vmi));
        return VMI_FAILURE;
    }
    if (vmi->os->ksym2v(vmi, vmi->os_state, symbol, vaddr) != VMI_SUCCESS) {
        if (!vmi->err.msg[0])
            core_error(vmi, "kernel symbol %s not found", symbol);
        return VMI_FAILURE;
    }
    symcache_put(vmi, symbol, *vaddr);
    return VMI_SUCCESS;
}

status_t vmi_translate_ksym2v(vmi_instance_t vmi, const char *symbol, addr_t *vaddr)
{
    CORE_API(vmi, core_ksym2v(vmi, symbol, vaddr));
}

status_t core_pid_to_dtb(vmi_instance_t vmi, vmi_pid_t pid, addr_t *dtb)
{
    uint64_t v;

    CORE_REQUIRE(vmi, dtb);
    if (pid == 0) { /* by LibVMI's convention: the kernel */
        if (!vmi->kpgd && vmi->pmode != ARCH_X86_NONE) {
            core_error(vmi, "the kernel page table is unknown (set kpgd in the config)");
            return VMI_FAILURE;
        }
        *dtb = vmi->kpgd;
        return VMI_SUCCESS;
    }
    if (util_lru_get(vmi->pidcache, (uint32_t)pid, 0, &v)) {
        *dtb = v;
        return VMI_SUCCESS;
    }
    if (!vmi->os || !vmi->os->pid_to_dtb) {
        core_error(vmi, "finding the page table of pid %d %s", (int)pid, os_missing(vmi));
        return VMI_FAILURE;
    }
    if (vmi->os->pid_to_dtb(vmi, vmi->os_state, pid, dtb) != VMI_SUCCESS) {
        if (!vmi->err.msg[0])
            core_error(vmi, "no process with pid %d", (int)pid);
        return VMI_FAILURE;
    }
    util_lru_put(vmi->pidcache, (uint32_t)pid, 0, *dtb);
    return VMI_SUCCESS;
}

status_t vmi_pid_to_dtb(vmi_instance_t vmi, vmi_pid_t pid, addr_t *dtb)
{
    CORE_API(vmi, core_pid_to_dtb(vmi, pid, dtb));
}

bool core_pidcache_get(vmi_instance_t vmi, vmi_pid_t pid, addr_t *dtb)
{
    uint64_t v;
    if (!util_lru_get(vmi->pidcache, (uint32_t)pid, 0, &v))
        return false;
    *dtb = v;
    return true;
}

void core_pidcache_put(vmi_instance_t vmi, vmi_pid_t pid, addr_t dtb)
{
    util_lru_put(vmi->pidcache, (uint32_t)pid, 0, dtb);
}
