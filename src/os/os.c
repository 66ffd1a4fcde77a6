/*
 * os.c - the list of built-in OS layers and lookup by name.
 */
#include "os/os.h"

#include <strings.h>

extern const os_ops_t linux_os_ops; /* os/linux/linux.c */

extern const os_ops_t os_windows_ops; /* os/windows/windows.c */

/* Each layer adds one line here.  Detection asks them in this order; Linux
 * first, because its check is the cheaper one on a Linux guest and Windows'
 * is cheap to fail on. */
const os_ops_t *const os_table[] = {
    &linux_os_ops,
    &os_windows_ops,
    NULL,
};

const os_ops_t *os_by_name(const char *ostype)
{
    if (!ostype)
        return NULL;
    for (size_t i = 0; os_table[i]; i++)
        if (strcasecmp(os_table[i]->name, ostype) == 0)
            return os_table[i];
    return NULL;
}
