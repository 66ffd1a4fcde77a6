/*
 * linux.c - the Linux OS layer's entry points: the os_ops table, start-up
 * and the symbol and offset queries.
 *
 * Start-up, in order (each step's method is described where it lives):
 *   1. symbols: `sysmap` (a path, or the map text itself when the value
 *      holds a newline, for a map compiled into a program), else the
 *      kernel's kallsyms tables decoded from memory (locate.c, kallsyms.c);
 *   2. the KASLR slide of System.map addresses (config linux_kaslr /
 *      linux_init_task, else found from the banner, locate.c);
 *   3. the kernel page table (config kpgd, else swapper's, checked, else the
 *      core's CR3), locate.c;
 *   4. init_task (config linux_init_task, else the symbol, else the
 *      exported-symbol table, ksymtab.c);
 *   5. the offsets (config, BTF, heuristics), offsets.c;
 *   6. a check that init_task really is the idle task ("swapper").
 * A failure names what is missing and the configuration keys that would
 * supply it.  This file holds no algorithm of its own.
 *
 * It must not reach below the public API and core.h (no driver, no walker).
 */
#include "os/linux/linux.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "os/os.h"

static void lx_destroy(void *state)
{
    lx_state_t *st = state;
    if (!st)
        return;
    lx_symtab_free(st->syms);
    lx_btf_free(st->btf);
    free(st);
}

/* A banner from memory: cheap enough for ostype-less start-up.  A 64-bit
 * image through a page table reads a few MiB; a 32-bit one placed by its
 * trampoline header the first MiB and its text (13 MiB on i386's 6.1);
 * else the first banner in memory (i386 without the header: all memory
 * below a kernel that physical KASLR put high, 121 MiB on the guest here).
 * What was found is kept for find_root and init, which would otherwise
 * look for it again. */
static bool first_banner(vmi_instance_t vmi, addr_t *pa)
{
    addr_t text, data;
    if (lx_image32_find(vmi, &text, &data) && lx_first_banner_within(vmi, text, data, pa))
        return true;
    return lx_first_banner(vmi, pa);
}

static bool lx_detect(vmi_instance_t vmi, void **state)
{
    lx_image_t img;
    addr_t pa = 0;
    bool image = lx_image_find(vmi, 0, &img);
    if (!image && !first_banner(vmi, &pa))
        return false;
    lx_state_t *st = calloc(1, sizeof(*st));
    if (st && image) {
        st->have_image = true;
        st->image = img;
    } else if (st) {
        st->have_first_banner = true;
        st->first_banner = pa;
    }
    *state = st; /* NULL (out of memory) only costs the search again */
    return true;
}

/* The names start-up asks of a System.map (locate.c, this file, offsets.c):
 * found in the one pass that opens a map, so start-up reads it only once. */
static const char *const startup_names[] = {
    "_text", "_stext", "startup_64", "startup_32", "linux_banner", "init_task",
    "init_top_pgt", "init_level4_pgt", "swapper_pg_dir", "initial_page_table",
    "__start_BTF", "__stop_BTF", "modules",
};

static status_t load_symbols(vmi_instance_t vmi, lx_state_t *st)
{
    const char *sysmap = core_config_get(vmi, "sysmap");
    const struct util_symz *z = core_embedded_symbols(vmi);
    size_t nh = sizeof(startup_names) / sizeof(startup_names[0]);
    if (!sysmap && z) {
        st->syms = lx_symtab_from_symz(z);
        if (!st->syms) {
            core_error(vmi, "out of memory");
            return VMI_FAILURE;
        }
        st->syms_chosen = true;
        snprintf(st->sym_source, sizeof(st->sym_source), "the symbols compiled into the "
                                                        "program (%s)", core_embedded_name(vmi));
        return VMI_SUCCESS;
    }
    if (!sysmap)
        return lx_kallsyms_load(vmi, st);
    if (strchr(sysmap, '\n')) {
        st->syms = lx_symtab_from_sysmap(NULL, sysmap, strlen(sysmap), startup_names, nh,
                                         core_err(vmi));
        snprintf(st->sym_source, sizeof(st->sym_source), "System.map text from the config");
    } else {
        st->syms = lx_symtab_from_sysmap(sysmap, NULL, 0, startup_names, nh, core_err(vmi));
        snprintf(st->sym_source, sizeof(st->sym_source), "System.map %s", sysmap);
    }
    return st->syms ? VMI_SUCCESS : VMI_FAILURE;
}

static status_t find_init_task(vmi_instance_t vmi, lx_state_t *st)
{
    uint64_t v;
    if (core_config_get(vmi, "linux_init_task")) {
        if (!core_config_get_u64(vmi, "linux_init_task", &v))
            return VMI_FAILURE;
        st->init_task = v;
        return VMI_SUCCESS;
    }
    if (lx_sym(st, "init_task", &st->init_task))
        return VMI_SUCCESS;
    if (lx_ksymtab_find(vmi, st, "init_task", &st->init_task) == VMI_SUCCESS)
        return VMI_SUCCESS;
    core_error_prefix(vmi, "init_task is not among the kernel's symbols (%s) and the "
                           "exported-symbol table did not give it (set linux_init_task or "
                           "sysmap)", st->sym_source);
    return VMI_FAILURE;
}

/* Report the slide of kallsyms (runtime) addresses against the kernel's
 * default link address, CONFIG_PHYSICAL_START (16 MiB) above the kernel
 * map, for vmi_get_offset("linux_kaslr") and vmi-linux-offsets. */
static void runtime_slide(lx_state_t *st)
{
    addr_t text;
    if (!st->runtime_syms || !lx_sym(st, "_text", &text))
        return;
    uint64_t link = st->width == 8 ? 0xffffffff81000000ULL : 0xc1000000ULL;
    if (text >= link)
        st->kaslr = text - link;
}

/* The first task after init_task is pid 1, a user process: its page table
 * must map the kernel exactly as the kernel's own table does.  This checks
 * linux_mm and linux_pgd, which would otherwise go wrong silently (every
 * user process listed without a page table).  A damaged task ring is left
 * to the walk, which reports it with what it read. */
static status_t check_first_process(vmi_instance_t vmi, lx_state_t *st)
{
    addr_t next, task, mm, dtb, pa_user, pa_kernel;

    if (lx_read_ptr(vmi, st, st->init_task + st->off[LX_OFF_TASKS], &next) != VMI_SUCCESS)
        return VMI_SUCCESS;
    task = next - st->off[LX_OFF_TASKS];
    if (task == st->init_task ||
        lx_read_ptr(vmi, st, task + st->off[LX_OFF_MM], &mm) != VMI_SUCCESS || !mm)
        return VMI_SUCCESS;
    if (lx_mm_to_dtb(vmi, st, mm, &dtb) == VMI_SUCCESS &&
        vmi_pagetable_lookup(vmi, dtb, st->init_task, &pa_user) == VMI_SUCCESS &&
        lx_kv2p(vmi, st, st->init_task, &pa_kernel) == VMI_SUCCESS && pa_user == pa_kernel)
        return VMI_SUCCESS;
    core_error(vmi, "the first process (task_struct 0x%llx, mm 0x%llx) has no page table that "
                    "maps the kernel through linux_mm = 0x%llx (%s) and linux_pgd = 0x%llx (%s): "
                    "these offsets do not fit this guest",
               (unsigned long long)task, (unsigned long long)mm,
               (unsigned long long)st->off[LX_OFF_MM], lx_src_name(st->off_src[LX_OFF_MM]),
               (unsigned long long)st->off[LX_OFF_PGD], lx_src_name(st->off_src[LX_OFF_PGD]));
    return VMI_FAILURE;
}

/* os_ops_t.find_root, on an image without a root.  A 64-bit kernel: the
 * real-mode trampoline's table (image.c), checked against the image's
 * banner.  Else the root is where the kernel's symbols say, moved as the
 * banner moved (lx_offer_root).  The symbols come from the config (a
 * System.map, or those compiled in), else from kallsyms in physical memory
 * (in the image when it was found).  Whatever was loaded is handed to
 * lx_init, so nothing is read twice. */
static void lx_find_root(vmi_instance_t vmi, void **state)
{
    lx_state_t *st;
    bool from_map = core_config_get(vmi, "sysmap") || core_embedded_symbols(vmi);
    bool loaded = false;

    if (!(st = *state ? *state : calloc(1, sizeof(*st))))
        return;
    *state = NULL;
    if (from_map)
        loaded = load_symbols(vmi, st) == VMI_SUCCESS;
    /* A 64-bit kernel's image through the trampoline's table (image.c): that
     * table is a root of the kernel's, with the image's banner as evidence
     * (where the map's linux_banner says, or searched for in the image);
     * kallsyms is then searched for in the image only.  The width is a
     * guess here; a map's is judged in lx_init. */
    st->width = 8;
    st->width_guessed = true;
    lx_image_known(vmi, st);
    if (st->have_image && st->image.trampoline)
        (void)core_paging_try_root(vmi, st->image.root, st->image.va_lo, 0, 1,
                                   st->image.pa_lo, "the OS layer, from the real-mode "
                                                    "trampoline's page table");
    if (from_map) {
        st->width = 0;
    } else {
        /* Read the tables as a 64-bit kernel's, or a 32-bit one's when
         * they do not read as 64-bit (locate.c); lx_init reads them again
         * if the width taken turns out wrong. */
        loaded = lx_kallsyms_load(vmi, st) == VMI_SUCCESS || st->ks_hint;
    }
    if (loaded || st->have_image) {
        if (st->syms && core_paging_pending(vmi))
            (void)lx_offer_root(vmi, st);
        /* A 32-bit kernel's symbols rarely place its root (kallsyms
         * without data symbols): its fixed layout does. */
        if (core_paging_pending(vmi)) {
            uint32_t po = 0; /* unknown: each PAGE_OFFSET is tried */
            (void)lx_tables_page_offset(st, &po);
            (void)lx_offer_root_layout32(vmi, st->image_pa,
                                         st->have_first_banner ? &st->first_banner : NULL, po);
        }
        *state = st;
    } else {
        lx_destroy(st);
    }
    util_err_clear(core_err(vmi));
}

static status_t lx_init(vmi_instance_t vmi, void **state)
{
    /* find_root's state holds the symbols only, not yet moved. */
    lx_state_t *st = *state ? *state : calloc(1, sizeof(*st));
    *state = NULL;
    if (!st) {
        core_error(vmi, "out of memory");
        return VMI_FAILURE;
    }
    unsigned guessed = st->width; /* find_root's, when it read kallsyms */
    st->width_guessed = false;
    st->mode = core_paging_mode(vmi);
    st->width = vmi_get_address_width(vmi);
    if (st->width != 4 && st->width != 8)
        st->width = (st->mode == ARCH_X86_IA32E_4 || st->mode == ARCH_X86_IA32E_5) ? 8 : 4;
    if (guessed && guessed != st->width && st->syms) {
        /* Tables read as 64-bit from a 32-bit kernel: read them again. */
        lx_symtab_free(st->syms);
        st->syms = NULL;
        st->runtime_syms = false;
    }

    if ((!st->syms && load_symbols(vmi, st) != VMI_SUCCESS) ||
        lx_find_kaslr(vmi, st) != VMI_SUCCESS ||
        lx_find_kpgd(vmi, st) != VMI_SUCCESS || find_init_task(vmi, st) != VMI_SUCCESS ||
        lx_offsets_init(vmi, st) != VMI_SUCCESS) {
        lx_destroy(st);
        return VMI_FAILURE;
    }
    runtime_slide(st);

    /* init_task must be the idle task: "swapper" or "swapper/0". */
    char comm[LX_COMM_LEN];
    if (lx_read_chars(vmi, st, st->init_task + st->off[LX_OFF_NAME], comm, sizeof(comm)) !=
        VMI_SUCCESS) {
        core_error_prefix(vmi, "reading init_task (0x%llx) comm",
                          (unsigned long long)st->init_task);
        lx_destroy(st);
        return VMI_FAILURE;
    }
    if (strncmp(comm, "swapper", 7) != 0) {
        core_error(vmi, "init_task at 0x%llx has comm \"%.15s\" at +0x%llx, not \"swapper\": "
                        "the symbols (%s) or linux_name do not fit this guest",
                   (unsigned long long)st->init_task, comm,
                   (unsigned long long)st->off[LX_OFF_NAME], st->sym_source);
        lx_destroy(st);
        return VMI_FAILURE;
    }

    if (check_first_process(vmi, st) != VMI_SUCCESS) {
        lx_destroy(st);
        return VMI_FAILURE;
    }

    lx_publish(vmi, "linux_init_task", st->init_task);
    lx_publish(vmi, "linux_kaslr", st->kaslr);
    if (st->kdtb)
        lx_publish(vmi, "kpgd", st->kdtb);
    addr_t lb;
    /* The kernel's own linux_banner wins over the first "Linux version"
     * text a physical scan met: memory holds other copies (the boot-time
     * decompressor's, for one) that need not read the same. */
    if (lx_sym(st, "linux_banner", &lb)) {
        char b[sizeof(st->banner)];
        if (lx_read(vmi, st, lb, b, sizeof(b)) == VMI_SUCCESS) {
            b[sizeof(b) - 1] = '\0';
            b[strcspn(b, "\n")] = '\0';
            snprintf(st->banner, sizeof(st->banner), "%s", b);
        }
    }
    if (st->banner[0])
        core_config_set_default(vmi, "linux_banner", st->banner);
    core_config_set_default(vmi, "linux_symbols", st->sym_source);
    lx_btf_release(st);
    util_err_clear(core_err(vmi));
    *state = st;
    return VMI_SUCCESS;
}

static status_t lx_ksym2v(vmi_instance_t vmi, void *state, const char *sym, addr_t *va)
{
    lx_state_t *st = state;
    if (!sym) {
        core_error(vmi, "no symbol name");
        return VMI_FAILURE;
    }
    if (lx_sym(st, sym, va))
        return VMI_SUCCESS;
    core_error(vmi, "kernel symbol %s not found in %s", sym, st->sym_source);
    return VMI_FAILURE;
}

static const char *lx_v2ksym(vmi_instance_t vmi, void *state, addr_t va)
{
    lx_state_t *st = state;
    const char *n = lx_symtab_at(st->syms, va);
    if (!n)
        core_error(vmi, "no kernel symbol at 0x%llx", (unsigned long long)va);
    return n;
}

static status_t lx_get_offset_op(vmi_instance_t vmi, void *state, const char *name,
                                 addr_t *off)
{
    return lx_get_offset(vmi, state, name, off);
}

static status_t lx_struct_offset(vmi_instance_t vmi, void *state, const char *strct,
                                 const char *member, addr_t *off)
{
    lx_state_t *st = state;
    if (!strct || !member) {
        core_error(vmi, "vmi_get_kernel_struct_offset: no struct or member named");
        return VMI_FAILURE;
    }
    if (lx_btf_load(vmi, st)) {
        uint64_t v;
        if (lx_btf_offset(st->btf, strct, member, &v, core_err(vmi)) == VMI_SUCCESS) {
            *off = v;
            return VMI_SUCCESS;
        }
        return VMI_FAILURE;
    }
    /* Without BTF, the offsets this layer knows by other means. */
    for (lx_off_t i = 0; i < LX_OFF_COUNT; i++) {
        const lx_off_desc_t *d = &lx_off_desc[i];
        if (strcmp(d->strct, strct) == 0 &&
            (strcmp(d->member, member) == 0 || (d->alt && strcmp(d->alt, member) == 0))) {
            if (st->off_src[i] == LX_SRC_NONE && i >= LX_OFF_MOD_LIST)
                (void)lx_offsets_modules(vmi, st);
            if (st->off_src[i] != LX_SRC_NONE) {
                *off = st->off[i];
                return VMI_SUCCESS;
            }
        }
    }
    core_error(vmi, "%s.%s: unknown without BTF (%s)", strct, member, st->btf_why);
    return VMI_FAILURE;
}

const os_ops_t os_linux_ops = {
    .core = { .name = "Linux", .type = VMI_OS_LINUX, .ksym2v = lx_ksym2v,
              .pid_to_dtb = lx_pid_to_dtb, .destroy = lx_destroy },
    .detect = lx_detect,
    .find_root = lx_find_root,
    .init = lx_init,
    .v2ksym = lx_v2ksym,
    .dtb_to_pid = lx_dtb_to_pid,
    .get_offset = lx_get_offset_op,
    .struct_offset = lx_struct_offset,
    .process_foreach = lx_process_foreach,
    .module_foreach = lx_module_foreach,
    .cr3_switch = lx_cr3_switch,
};
