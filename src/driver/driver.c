/*
 * driver.c - the list of built-in drivers and how one is chosen.
 */
#include "driver/driver.h"

#include <stddef.h>

extern const driver_ops_t driver_file_ops;

const driver_ops_t *const driver_table[] = {
    &driver_file_ops,
    NULL,
};

const driver_ops_t *driver_for_mode(vmi_mode_t mode)
{
    for (size_t i = 0; driver_table[i]; i++)
        if (driver_table[i]->mode == mode)
            return driver_table[i];
    return NULL;
}

const driver_ops_t *driver_detect(const char *target)
{
    for (size_t i = 0; driver_table[i]; i++)
        if (driver_table[i]->probe && driver_table[i]->probe(target))
            return driver_table[i];
    return NULL;
}
