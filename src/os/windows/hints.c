/*
 * hints.c - what a Windows crash dump's header states about the kernel:
 * PsActiveProcessHead, PsLoadedModuleList, KdDebuggerDataBlock and the
 * build number (core_driver_hint, keys "win.*"), each checked before use.
 *
 * The header is written by the crashing kernel itself, so on a sound dump
 * these are exact and spare the layer any searching.  But the file is as
 * hostile as the memory in it, so a stated address is used only when it
 * translates and looks like what it claims:
 *   a list head    Flink and Blink are kernel addresses that translate and
 *                  point back at the head, the list is not empty, the head
 *                  lies inside ntoskrnl (when its image is known); the
 *                  first process is System (pid 4, or 8 on Windows 2000)
 *                  when the EPROCESS offsets are known; the first module
 *                  is ntoskrnl itself (a kernel file name, page-aligned,
 *                  at the kernel base when that is known);
 *   the KDBG       the "KDBG" tag and a plausible size (kdbg.c), KernBase
 *                  equal to the kernel base when that is known, inside
 *                  ntoskrnl.
 * A triage dump (a kernel mini dump) holds no page tables, only copies of
 * some kernel memory, so most of these cannot be checked there; its own
 * driver list (facts win.Triage.Module.N.*) names the kernel instead: the
 * first entry, named as the kernel, at a page-aligned kernel address.
 * A rejected fact leaves a note in the state (note_active, note_loaded,
 * note_kdbg) so that a later "X is unknown" names the bad hint and why.
 *
 * Must not: use a stated address unchecked, or leave its own failures as
 * the instance's reason (every fact here is optional).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "os/windows/windows.h"
#include "util/strutil.h"

__attribute__((format(printf, 3, 4)))
static void note(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

bool win_hint(vmi_instance_t vmi, const char *name, uint64_t *value)
{
    char key[64];
    snprintf(key, sizeof(key), "win.%s", name);
    return core_driver_hint(vmi, key, value);
}

/* Inside ntoskrnl's image?  Unknowable (so not held against va) until the
 * image's headers have been read. */
static bool in_kernel(const win_state_t *st, addr_t va)
{
    return !st->kpe_ok || (va >= st->kbase && va - st->kbase < st->kpe.size_of_image);
}

/* The shape of a list head: see the top of the file.  *first = Flink. */
static bool list_head_ok(vmi_instance_t vmi, win_state_t *st, addr_t head, addr_t *first,
                         char *why, size_t size)
{
    addr_t flink, blink, back, fwd;
    if (!win_is_kernel_va(st, head) || (head & (st->ptr - 1))) {
        note(why, size, "it is not an aligned kernel address");
        return false;
    }
    if (!in_kernel(st, head)) {
        note(why, size, "it lies outside ntoskrnl (0x%llx-0x%llx)",
             (unsigned long long)st->kbase,
             (unsigned long long)(st->kbase + st->kpe.size_of_image - 1));
        return false;
    }
    if (win_read_ptr(vmi, st, head, &flink) != VMI_SUCCESS ||
        win_read_ptr(vmi, st, head + st->ptr, &blink) != VMI_SUCCESS) {
        note(why, size, "it does not translate");
        return false;
    }
    if (flink == head && blink == head) {
        note(why, size, "it heads an empty list");
        return false;
    }
    if (!win_is_kernel_va(st, flink) || !win_is_kernel_va(st, blink)) {
        note(why, size, "its links 0x%llx / 0x%llx are not kernel addresses",
             (unsigned long long)flink, (unsigned long long)blink);
        return false;
    }
    if (win_read_ptr(vmi, st, flink + st->ptr, &back) != VMI_SUCCESS ||
        win_read_ptr(vmi, st, blink, &fwd) != VMI_SUCCESS) {
        note(why, size, "its links 0x%llx / 0x%llx do not translate",
             (unsigned long long)flink, (unsigned long long)blink);
        return false;
    }
    if (back != head || fwd != head) {
        note(why, size, "it is not a list head (its first entry links back to 0x%llx, its "
                        "last forward to 0x%llx)", (unsigned long long)back,
             (unsigned long long)fwd);
        return false;
    }
    *first = flink;
    return true;
}

static bool is_kernel_file(const char *name)
{
    static const char *const names[] = { "ntoskrnl.exe", "ntkrnlpa.exe", "ntkrnlmp.exe",
                                         "ntkrpamp.exe" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (util_streq_nocase(name, names[i]))
            return true;
    return false;
}

/* The module list at head, whose first entry must be ntoskrnl: its base. */
static bool module_head_ok(vmi_instance_t vmi, win_state_t *st, addr_t head, addr_t *base,
                           char *why, size_t size)
{
    addr_t first, dll;
    char name[64];
    if (!list_head_ok(vmi, st, head, &first, why, size))
        return false;
    if (win_read_ptr(vmi, st, first + st->off.ldr_base, &dll) != VMI_SUCCESS ||
        win_read_unicode(vmi, st, first + st->off.ldr_basename, name, sizeof(name)) !=
            VMI_SUCCESS) {
        note(why, size, "its first entry 0x%llx is unreadable", (unsigned long long)first);
        return false;
    }
    if (!is_kernel_file(name)) {
        note(why, size, "its first module is \"%s\", not the kernel", name);
        return false;
    }
    if (!win_is_kernel_va(st, dll) || (dll & 0xfff)) {
        note(why, size, "its first module's base 0x%llx is not a page-aligned kernel address",
             (unsigned long long)dll);
        return false;
    }
    if (st->kbase && dll != st->kbase) {
        note(why, size, "its first module (%s) is at 0x%llx, not at the kernel base 0x%llx",
             name, (unsigned long long)dll, (unsigned long long)st->kbase);
        return false;
    }
    *base = dll;
    return true;
}

bool win_hint_kernel_module(vmi_instance_t vmi, win_state_t *st, addr_t *base)
{
    char saved[UTIL_ERR_MAX];
    uint64_t head;
    bool ok = false;
    if (!win_hint(vmi, "PsLoadedModuleList", &head))
        return false;
    snprintf(saved, sizeof(saved), "%s", tvmi_errmsg(vmi));
    char why[WIN_NOTE_MAX - 96];
    if (module_head_ok(vmi, st, head, base, why, sizeof(why))) {
        ok = true;
        st->note_loaded[0] = '\0';
    } else
        note(st->note_loaded, sizeof(st->note_loaded), "the dump header's "
             "PsLoadedModuleList 0x%llx was refused: %s", (unsigned long long)head, why);
    core_error(vmi, "%s", saved);
    return ok;
}

bool win_hint_kdbg(vmi_instance_t vmi, win_state_t *st, addr_t *kdbg)
{
    char saved[UTIL_ERR_MAX];
    char why[WIN_NOTE_MAX - 96];
    uint64_t va;
    uint8_t tag[4];
    bool ok = false;
    if (!win_hint(vmi, "KdDebuggerDataBlock", &va))
        return false;
    snprintf(saved, sizeof(saved), "%s", tvmi_errmsg(vmi));
    if (!win_is_kernel_va(st, va) || (va & 7))
        note(why, sizeof(why), "it is not an aligned kernel address");
    else if (!in_kernel(st, va))
        note(why, sizeof(why), "it lies outside ntoskrnl (0x%llx-0x%llx)",
             (unsigned long long)st->kbase,
             (unsigned long long)(st->kbase + st->kpe.size_of_image - 1));
    else if (win_read(vmi, va + KDBG_TAG_OFF, tag, sizeof(tag)) != VMI_SUCCESS)
        note(why, sizeof(why), "it does not translate");
    else if (memcmp(tag, "KDBG", 4) != 0)
        note(why, sizeof(why), "no KDBG tag (not a KDBG, or encoded as Windows 8+ keeps it)");
    else if (!win_kdbg_valid(vmi, st, va))
        note(why, sizeof(why), "its size or KernBase do not check out%s",
             st->kbase ? " against the kernel found" : "");
    else
        ok = true;
    if (ok) {
        *kdbg = va;
        st->note_kdbg[0] = '\0';
    } else
        note(st->note_kdbg, sizeof(st->note_kdbg), "the dump header's "
             "KdDebuggerDataBlock 0x%llx was refused: %s", (unsigned long long)va, why);
    core_error(vmi, "%s", saved);
    return ok;
}

void win_hint_list_heads(vmi_instance_t vmi, win_state_t *st)
{
    char saved[UTIL_ERR_MAX];
    char why[WIN_NOTE_MAX - 96];
    uint64_t head;
    addr_t first, base;
    snprintf(saved, sizeof(saved), "%s", tvmi_errmsg(vmi));

    if (!st->ps_active && win_hint(vmi, "PsActiveProcessHead", &head)) {
        bool ok = list_head_ok(vmi, st, head, &first, why, sizeof(why));
        if (ok && win_need_process_offsets(vmi, st) == VMI_SUCCESS &&
            !win_process_is_system(vmi, st, first, why, sizeof(why)))
            ok = false;
        if (ok) {
            st->ps_active = head;
            st->note_active[0] = '\0';
        } else
            note(st->note_active, sizeof(st->note_active), "the dump header's "
                 "PsActiveProcessHead 0x%llx was refused: %s", (unsigned long long)head, why);
    }
    if (!st->ps_loaded && win_hint(vmi, "PsLoadedModuleList", &head)) {
        if (module_head_ok(vmi, st, head, &base, why, sizeof(why))) {
            st->ps_loaded = head;
            st->note_loaded[0] = '\0';
        } else
            note(st->note_loaded, sizeof(st->note_loaded), "the dump header's "
                 "PsLoadedModuleList 0x%llx was refused: %s", (unsigned long long)head, why);
    }
    core_error(vmi, "%s", saved);
}

bool win_hint_triage_kernel(vmi_instance_t vmi, win_state_t *st, addr_t *base)
{
    char saved[UTIL_ERR_MAX];
    tvmi_fact_t name, dll;
    bool ok = false;
    snprintf(saved, sizeof(saved), "%s", tvmi_errmsg(vmi));
    if (tvmi_get_fact_by_key(vmi, "win.Triage.Module.0.Name", &name) == VMI_SUCCESS &&
        tvmi_get_fact_by_key(vmi, "win.Triage.Module.0.DllBase", &dll) == VMI_SUCCESS &&
        name.text && !dll.text) {
        if (!is_kernel_file(name.text))
            note(st->note_loaded, sizeof(st->note_loaded), "the triage dump's first module "
                 "is \"%s\", not the kernel", name.text);
        else if (!win_is_kernel_va(st, dll.value) || (dll.value & 0xfff))
            note(st->note_loaded, sizeof(st->note_loaded), "the triage dump's first module's "
                 "base 0x%llx is not a page-aligned kernel address",
                 (unsigned long long)dll.value);
        else {
            *base = dll.value;
            ok = true;
        }
    }
    core_error(vmi, "%s", saved);
    return ok;
}

bool win_hint_build(vmi_instance_t vmi, uint16_t *build)
{
    uint64_t v;
    if (!win_hint(vmi, "BuildNumber", &v) || v == 0 || v > 0xffff)
        return false;
    *build = (uint16_t)v;
    return true;
}
