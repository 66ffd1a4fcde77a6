/*
 * test_sysmap_portable.c - the same checks as test_sysmap.c on sysmap.c
 * built with its portable masks (the byte loops of hosts without SSE2).
 * This file's copy of sysmap.c defines the lx_sysmap_* functions, so the
 * linker takes none from the library.
 */
#define TINYVMI_SYSMAP_PORTABLE 1
#include "os/linux/sysmap.c"

#include "sysmap_agree.h"

int main(void)
{
    return agree_main();
}
