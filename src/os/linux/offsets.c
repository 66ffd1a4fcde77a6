/*
 * offsets.c - the structure offsets the Linux layer needs, by their
 * libvmi.conf names, from the first source that has them: the
 * configuration, the kernel's BTF, then heuristics over guest data.
 *
 * Every value found is published back into the configuration as a default
 * (core_config_set_default), so vmi_get_offset and vmi-linux-offsets report
 * it and a LibVMI user can paste it into libvmi.conf.  This file decides
 * nothing about where the kernel is; locate.c does that.
 */
#include "os/linux/linux.h"

#include <stdio.h>
#include <string.h>

#include "core/core.h"

const lx_off_desc_t lx_off_desc[LX_OFF_COUNT] = {
    [LX_OFF_TASKS] = { "linux_tasks", "task_struct", "tasks", NULL },
    [LX_OFF_MM] = { "linux_mm", "task_struct", "mm", NULL },
    [LX_OFF_PID] = { "linux_pid", "task_struct", "pid", NULL },
    [LX_OFF_NAME] = { "linux_name", "task_struct", "comm", NULL },
    [LX_OFF_PGD] = { "linux_pgd", "mm_struct", "pgd", NULL },
    [LX_OFF_TGID] = { "linux_tgid", "task_struct", "tgid", NULL },
    [LX_OFF_PARENT] = { "linux_real_parent", "task_struct", "real_parent", NULL },
    [LX_OFF_MOD_LIST] = { "linux_module_list", "module", "list", NULL },
    [LX_OFF_MOD_NAME] = { "linux_module_name", "module", "name", NULL },
    /* 6.4 replaced core_layout by mem[MOD_MEM_NUM_TYPES]; mem[0] is text. */
    [LX_OFF_MOD_BASE] = { "linux_module_base", "module", "core_layout.base", "mem[0].base" },
    [LX_OFF_MOD_SIZE] = { "linux_module_size", "module", "core_layout.size", "mem[0].size" },
};

static const char *const src_name[] = { "none", "config", "BTF", "heuristic", "default" };

const char *lx_src_name(lx_src_t src)
{
    return (unsigned)src < sizeof(src_name) / sizeof(src_name[0]) ? src_name[src] : "?";
}

/* "linux_tasks:BTF linux_mm:BTF ...", for vmi-linux-offsets: the process
 * offsets under one key at start-up, the module offsets (found on first use)
 * under another, since a published value is never replaced. */
static void publish_sources(vmi_instance_t vmi, const lx_state_t *st, bool modules)
{
    char buf[600] = "";
    for (lx_off_t i = 0; i < LX_OFF_COUNT; i++) {
        if (st->off_src[i] == LX_SRC_NONE || (i >= LX_OFF_MOD_LIST) != modules)
            continue;
        size_t l = strlen(buf);
        snprintf(buf + l, sizeof(buf) - l, "%s%s:%s", l ? " " : "", lx_off_desc[i].key,
                 src_name[st->off_src[i]]);
    }
    core_config_set_default(vmi, modules ? "linux_module_offset_sources" :
                                           "linux_offset_sources", buf);
}

void lx_publish(vmi_instance_t vmi, const char *key, uint64_t value)
{
    char v[32];
    snprintf(v, sizeof(v), "0x%llx", (unsigned long long)value);
    core_config_set_default(vmi, key, v);
}

/* From the configuration; false when unset.  A value that does not parse
 * is an error (reason on the instance), reported through *bad. */
static bool from_config(vmi_instance_t vmi, lx_state_t *st, lx_off_t i, bool *bad)
{
    uint64_t v;
    if (st->off_src[i] != LX_SRC_NONE)
        return true;
    if (!core_config_get(vmi, lx_off_desc[i].key))
        return false;
    if (!core_config_get_u64(vmi, lx_off_desc[i].key, &v)) {
        *bad = true;
        return false;
    }
    st->off[i] = v;
    st->off_src[i] = LX_SRC_CONFIG;
    return true;
}

static bool from_btf(lx_state_t *st, lx_off_t i)
{
    uint64_t v;
    util_err_t e;
    const lx_off_desc_t *d = &lx_off_desc[i];
    if (st->off_src[i] != LX_SRC_NONE)
        return true;
    if (!st->btf)
        return false;
    if (lx_btf_offset(st->btf, d->strct, d->member, &v, &e) != VMI_SUCCESS &&
        (!d->alt || lx_btf_offset(st->btf, d->strct, d->alt, &v, &e) != VMI_SUCCESS))
        return false;
    st->off[i] = v;
    st->off_src[i] = LX_SRC_BTF;
    return true;
}

static const lx_off_t process_offs[] = { LX_OFF_TASKS, LX_OFF_MM, LX_OFF_PID, LX_OFF_NAME,
                                         LX_OFF_PGD };
#define NPROC (sizeof(process_offs) / sizeof(process_offs[0]))

status_t lx_offsets_init(vmi_instance_t vmi, lx_state_t *st)
{
    bool bad = false, missing = false;
    for (lx_off_t i = 0; i < LX_OFF_COUNT; i++)
        from_config(vmi, st, i, &bad);
    if (bad)
        return VMI_FAILURE;
    for (size_t k = 0; k < NPROC; k++)
        missing |= st->off_src[process_offs[k]] == LX_SRC_NONE;
    /* BTF is parsed only when a process offset is missing: with all five
     * configured, start-up costs what they need, and linux_tgid /
     * linux_real_parent come on first use (lx_offsets_parent). */
    if (missing) {
        /* Module offsets are settled by lx_offsets_modules, which also
         * knows the 6.4+ mem[] layout. */
        if (lx_btf_load(vmi, st))
            for (lx_off_t i = 0; i < LX_OFF_MOD_LIST; i++)
                from_btf(st, i);
    }
    missing = false;
    for (size_t k = 0; k < NPROC; k++)
        missing |= st->off_src[process_offs[k]] == LX_SRC_NONE;
    char hwhy[UTIL_ERR_MAX] = "";
    if (missing) {
        if (lx_heuristic_offsets(vmi, st) != VMI_SUCCESS)
            snprintf(hwhy, sizeof(hwhy), "%s", tvmi_errmsg(vmi));
    }
    char list[200] = "";
    for (size_t k = 0; k < NPROC; k++) {
        lx_off_t i = process_offs[k];
        if (st->off_src[i] == LX_SRC_NONE) {
            size_t l = strlen(list);
            snprintf(list + l, sizeof(list) - l, "%s%s", l ? ", " : "", lx_off_desc[i].key);
        }
    }
    if (list[0]) {
        core_error(vmi, "no offsets for %s: BTF: %s; heuristics: %s (set them in the config, "
                        "e.g. from vmi-linux-offsets on a kernel with BTF or pahole on its "
                        "vmlinux)",
                   list, st->btf ? "present but incomplete" : st->btf_why,
                   hwhy[0] ? hwhy : "not tried");
        return VMI_FAILURE;
    }
    for (lx_off_t i = 0; i < LX_OFF_MOD_LIST; i++)
        if (st->off_src[i] != LX_SRC_NONE && st->off_src[i] != LX_SRC_CONFIG)
            lx_publish(vmi, lx_off_desc[i].key, st->off[i]);
    publish_sources(vmi, st, false);
    return VMI_SUCCESS;
}

void lx_offsets_parent(vmi_instance_t vmi, lx_state_t *st)
{
    if (st->parent_tried || st->off_src[LX_OFF_PARENT] != LX_SRC_NONE)
        return;
    st->parent_tried = true;
    /* BTF when it is parsed already; else the heuristic, which reads only
     * the first tasks (parsing BTF costs megabytes); else BTF. */
    if (st->btf)
        for (lx_off_t i = LX_OFF_TGID; i <= LX_OFF_PARENT; i++)
            from_btf(st, i);
    if (st->off_src[LX_OFF_PARENT] == LX_SRC_NONE)
        (void)lx_heuristic_offsets(vmi, st);
    if (st->off_src[LX_OFF_PARENT] == LX_SRC_NONE && lx_btf_load(vmi, st))
        for (lx_off_t i = LX_OFF_TGID; i <= LX_OFF_PARENT; i++)
            from_btf(st, i);
    publish_sources(vmi, st, false);
}

status_t lx_offsets_modules(vmi_instance_t vmi, lx_state_t *st)
{
    static const lx_off_t mods[] = { LX_OFF_MOD_LIST, LX_OFF_MOD_NAME, LX_OFF_MOD_BASE,
                                     LX_OFF_MOD_SIZE };
    bool bad = false, missing = false;
    for (size_t k = 0; k < 4; k++)
        from_config(vmi, st, mods[k], &bad);
    if (bad)
        return VMI_FAILURE;
    for (size_t k = 0; k < 4; k++)
        missing |= st->off_src[mods[k]] == LX_SRC_NONE;
    if (missing && lx_btf_load(vmi, st)) {
        util_err_t e;
        uint64_t n = 0, stride = 0;
        bool mem_array = st->off_src[LX_OFF_MOD_SIZE] == LX_SRC_NONE &&
                         lx_btf_array_len(st->btf, "module", "mem", &n, &e) == VMI_SUCCESS &&
                         lx_btf_struct_size(st->btf, "module_memory", &stride, &e) ==
                             VMI_SUCCESS;
        for (size_t k = 0; k < 4; k++)
            from_btf(st, mods[k]);
        if (mem_array && n > 0 && n <= 16) {
            st->mod_mem_count = (unsigned)n;
            st->mod_mem_stride = stride;
        }
    }
    /* struct module has begun with state, list, name since 2.6: these two
     * positions hold on every kernel this layer supports. */
    if (st->off_src[LX_OFF_MOD_LIST] == LX_SRC_NONE) {
        st->off[LX_OFF_MOD_LIST] = st->width;
        st->off_src[LX_OFF_MOD_LIST] = LX_SRC_DEFAULT;
    }
    if (st->off_src[LX_OFF_MOD_NAME] == LX_SRC_NONE) {
        st->off[LX_OFF_MOD_NAME] = st->width + 2 * st->width;
        st->off_src[LX_OFF_MOD_NAME] = LX_SRC_DEFAULT;
    }
    if ((st->off_src[LX_OFF_MOD_BASE] == LX_SRC_NONE ||
         st->off_src[LX_OFF_MOD_SIZE] == LX_SRC_NONE) &&
        (lx_modules_head(vmi, st) != VMI_SUCCESS ||
         lx_module_layout_heuristic(vmi, st) != VMI_SUCCESS))
        return VMI_FAILURE;
    char list[160] = "";
    for (size_t k = 0; k < 4; k++) {
        if (st->off_src[mods[k]] == LX_SRC_NONE) {
            size_t l = strlen(list);
            snprintf(list + l, sizeof(list) - l, "%s%s", l ? ", " : "",
                     lx_off_desc[mods[k]].key);
        }
    }
    if (list[0]) {
        core_error(vmi, "no offsets for %s (BTF: %s; set them in the config)", list,
                   st->btf ? "present but incomplete" : st->btf_why);
        return VMI_FAILURE;
    }
    for (size_t k = 0; k < 4; k++)
        if (st->off_src[mods[k]] != LX_SRC_CONFIG)
            lx_publish(vmi, lx_off_desc[mods[k]].key, st->off[mods[k]]);
    publish_sources(vmi, st, true);
    return VMI_SUCCESS;
}

status_t lx_get_offset(vmi_instance_t vmi, lx_state_t *st, const char *name, addr_t *off)
{
    if (!name) {
        core_error(vmi, "vmi_get_offset: no name");
        return VMI_FAILURE;
    }
    for (lx_off_t i = 0; i < LX_OFF_COUNT; i++) {
        if (strcmp(name, lx_off_desc[i].key) != 0)
            continue;
        if (st->off_src[i] == LX_SRC_NONE && i >= LX_OFF_MOD_LIST)
            (void)lx_offsets_modules(vmi, st);
        if (st->off_src[i] == LX_SRC_NONE) {
            bool bad = false;
            if (!from_config(vmi, st, i, &bad) && !(lx_btf_load(vmi, st) && from_btf(st, i))) {
                core_error(vmi, "vmi_get_offset: %s is not known for this kernel (%s)", name,
                           st->btf ? "BTF lacks it" : st->btf_why);
                return VMI_FAILURE;
            }
        }
        *off = st->off[i];
        return VMI_SUCCESS;
    }
    if (strcmp(name, "linux_kaslr") == 0) {
        *off = st->kaslr;
        return VMI_SUCCESS;
    }
    if (strcmp(name, "linux_init_task") == 0) {
        *off = st->init_task;
        return VMI_SUCCESS;
    }
    if (strcmp(name, "kpgd") == 0 && st->kdtb) {
        *off = st->kdtb;
        return VMI_SUCCESS;
    }
    uint64_t v;
    if (core_config_get(vmi, name) && core_config_get_u64(vmi, name, &v)) {
        *off = v;
        return VMI_SUCCESS;
    }
    core_error(vmi, "vmi_get_offset: no Linux offset named \"%s\" (known: linux_tasks, "
                    "linux_mm, linux_pid, linux_name, linux_pgd, linux_tgid, linux_real_parent, "
                    "linux_module_*, linux_kaslr, linux_init_task, kpgd)", name);
    return VMI_FAILURE;
}
