/*
 * version.c - which Windows this is: the build number from the kernel's
 * NtBuildNumber variable (0xF0000000 | build on free builds, 0xC0000000 |
 * build on checked ones), else from a crash dump's header (its
 * MinorVersion), the major/minor version from ntoskrnl's PE
 * header (MajorOperatingSystemVersion / MinorOperatingSystemVersion), and
 * LibVMI's win_ver_t from both.
 *
 * Must not: fail the layer: an unknown version is reported as unknown.
 */
#include <stdio.h>

#include "core/core.h"
#include "os/windows/windows.h"

win_ver_t win_version_from_build(uint16_t build, uint16_t major, uint16_t minor)
{
    /* The version numbers decide where they are known. */
    if (major == 5 && minor == 0)
        return VMI_OS_WINDOWS_2000;
    if (major == 5 && minor == 1)
        return VMI_OS_WINDOWS_XP;
    if (major == 5 && minor == 2)
        return VMI_OS_WINDOWS_2003; /* also XP x64, which shares its kernel */
    if (major == 6 && minor == 0)
        return VMI_OS_WINDOWS_VISTA; /* and Server 2008: same kernel */
    if (major == 6 && minor == 1)
        return VMI_OS_WINDOWS_7;
    if (major == 6 && (minor == 2 || minor == 3))
        return VMI_OS_WINDOWS_8;
    if (major == 10)
        return VMI_OS_WINDOWS_10;
    /* Otherwise the build number's ranges. */
    if (build == 2195)
        return VMI_OS_WINDOWS_2000;
    if (build == 2600)
        return VMI_OS_WINDOWS_XP;
    if (build == 3790)
        return VMI_OS_WINDOWS_2003;
    if (build >= 6000 && build <= 6003)
        return VMI_OS_WINDOWS_VISTA;
    if (build >= 7600 && build <= 7601)
        return VMI_OS_WINDOWS_7;
    if (build >= 9200 && build <= 9600)
        return VMI_OS_WINDOWS_8;
    if (build >= 10240)
        return VMI_OS_WINDOWS_10;
    return VMI_OS_WINDOWS_UNKNOWN;
}

void win_version_init(vmi_instance_t vmi, win_state_t *st)
{
    char saved[UTIL_ERR_MAX];
    addr_t va;
    uint32_t nb;
    snprintf(saved, sizeof(saved), "%s", tvmi_errmsg(vmi));

    st->build.major = st->kpe.os_major;
    st->build.minor = st->kpe.os_minor;
    if (win_ksym2v(vmi, st, "NtBuildNumber", &va) == VMI_SUCCESS &&
        win_read_u32(vmi, va, &nb) == VMI_SUCCESS &&
        ((nb >> 28) == 0xf || (nb >> 28) == 0xc))
        st->build.buildnumber = (uint16_t)nb;
    else
        win_hint_build(vmi, &st->build.buildnumber);
    st->build.version = win_version_from_build(st->build.buildnumber, st->build.major,
                                               st->build.minor);
    st->have_build = st->build.version != VMI_OS_WINDOWS_UNKNOWN || st->build.buildnumber;
    core_error(vmi, "%s", saved);
}

bool win_build_info(vmi_instance_t vmi, void *state, win_build_info_t *info)
{
    win_state_t *st = state;
    if (!st->have_build) {
        core_error(vmi, "the Windows version is unknown (no NtBuildNumber, no PE version)");
        return false;
    }
    *info = st->build;
    return true;
}
