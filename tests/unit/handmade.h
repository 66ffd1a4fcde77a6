/*
 * handmade.h - a guest-physical memory image a unit test lays out by hand
 * (page tables, tables of the kernel's), written to a temporary raw file
 * and opened as the OS layer sees it during vmi_init_complete: the file
 * driver, no page table yet (the core's scan left pending).  One image per
 * test program (hm).  Shared by test_layout32.c and test_ksymtab.c.
 */
#ifndef TINYVMI_TEST_HANDMADE_H
#define TINYVMI_TEST_HANDMADE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libvmi/libvmi.h>
#include "test.h"
#include "core/core.h"

typedef struct handmade {
    unsigned char *img;
    size_t size;
    char path[32];
} handmade_t;

static handmade_t hm;

/* A zeroed image of size bytes (the previous one freed). */
static inline void hm_fresh(size_t size)
{
    free(hm.img);
    hm.img = calloc(1, size);
    hm.size = size;
}

static inline void hm_put32(uint32_t pa, uint32_t v)
{
    memcpy(hm.img + pa, &v, 4);
}

/* Write the image to a temporary file and open it; NULL (a failed check)
 * when that fails.  hm_close removes the file. */
static inline vmi_instance_t hm_open(void)
{
    vmi_instance_t vmi = NULL;
    vmi_init_error_t stage;
    strcpy(hm.path, "/tmp/tvmi-handmade-XXXXXX");
    int fd = mkstemp(hm.path);
    CHECK(fd >= 0 && write(fd, hm.img, hm.size) == (ssize_t)hm.size);
    if (fd >= 0)
        close(fd);
    CHECK(core_open(&vmi, true, VMI_FILE, hm.path, VMI_INIT_DOMAINNAME, NULL, true,
                    VMI_CONFIG_STRING, (void *)"", true, &stage) == VMI_SUCCESS && vmi);
    return vmi;
}

static inline void hm_close(vmi_instance_t vmi)
{
    if (vmi)
        vmi_destroy(vmi);
    unlink(hm.path);
}

#endif
