/*
 * test_sysmap.c - the start-up System.map finder against the full parse,
 * as the library builds it (sysmap_agree.h says what is checked).  It has
 * sysmap.c's own text, with the library's flags, so the checks can reach
 * its static quick path; test_sysmap_portable.c does the same with the
 * portable masks.
 */
#include "os/linux/sysmap.c"

#include "sysmap_agree.h"

int main(void)
{
    return agree_main();
}
