/*
 * test_ksymtab - an exported symbol's address from the kernel's export
 * table (lx_ksymtab_find, src/os/linux/ksymtab.c) on images laid out by
 * hand: a name in __ksymtab_strings and the entry that points at it, of
 * both kinds (pointers: {value, name}; 32-bit self-relative offsets).  The
 * window around the name is read a chunk at a time: an entry whose two
 * fields lie on both sides of a chunk's end must still be found; an entry
 * outside the window is not, and the failure says which symbol.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "handmade.h"
#include "os/linux/linux.h"

#define IMG_SIZE (32u << 20)
#define DELTA 0xc0000000u    /* va = pa + DELTA, as on i386 */
#define STR 0x01200000u      /* "\0init_task\0" */
#define TARGET 0x00e00000u   /* what the entry says init_task is */
#define WINDOW_LO 0x00a00000u /* (STR + 1 - 8 MiB), page-aligned: chunk seams every MiB */

static void fresh_image(void)
{
    hm_fresh(IMG_SIZE);
    memcpy(hm.img + STR, "\0init_task\0", 11);
}

/* Open the image (no page table: the search reads physical memory only),
 * look init_task up; *pa its physical address, why the reason if not. */
static bool find(uint64_t *pa, char *why, size_t whylen)
{
    bool ok = false;
    *pa = 0;
    why[0] = '\0';
    vmi_instance_t vmi = hm_open();
    lx_state_t *st = calloc(1, sizeof(*st));
    if (vmi && st) {
        st->width = 4;
        st->have_image_delta = true;
        st->image_delta = DELTA;
        st->image_pa = STR;
        addr_t va = 0;
        ok = lx_ksymtab_find(vmi, st, "init_task", &va) == VMI_SUCCESS;
        *pa = ok ? va - DELTA : 0;
        snprintf(why, whylen, "%s", ok ? "" : tvmi_errmsg(vmi));
    }
    free(st);
    hm_close(vmi);
    return ok;
}

/* A pointer entry {value, name} at entry. */
static void pointer_entry(uint32_t entry)
{
    hm_put32(entry, TARGET + DELTA);
    hm_put32(entry + 4, STR + 1 + DELTA);
}

static void test_pointer_entry(void)
{
    fresh_image();
    pointer_entry(0x01100000u);
    uint64_t pa;
    char why[256];
    CHECK(find(&pa, why, sizeof(why)));
    CHECK_EQ_U64(pa, TARGET);
}

/* value in the last bytes of one chunk, name in the first of the next. */
static void test_entry_across_a_chunk_seam(void)
{
    fresh_image();
    pointer_entry(WINDOW_LO + (3u << 20) - 4);
    uint64_t pa;
    char why[256];
    CHECK(find(&pa, why, sizeof(why)));
    CHECK_EQ_U64(pa, TARGET);
}

/* {int value_offset; int name_offset; ...}, each relative to its field. */
static void test_relative_entry_across_a_seam(void)
{
    fresh_image();
    uint32_t entry = WINDOW_LO + (5u << 20) - 4;
    hm_put32(entry, (uint32_t)((int64_t)TARGET - entry));
    hm_put32(entry + 4, (uint32_t)((int64_t)(STR + 1) - (entry + 4)));
    uint64_t pa;
    char why[256];
    CHECK(find(&pa, why, sizeof(why)));
    CHECK_EQ_U64(pa, TARGET);
}

/* Below the window (more than 8 MiB before the name): not found, and
 * the reason names the symbol. */
static void test_entry_outside_the_window(void)
{
    fresh_image();
    pointer_entry(WINDOW_LO - 0x1000);
    uint64_t pa;
    char why[256];
    CHECK(!find(&pa, why, sizeof(why)));
    CHECK(strstr(why, "init_task") != NULL);
}

int main(void)
{
    TEST_RUN(test_pointer_entry);
    TEST_RUN(test_entry_across_a_chunk_seam);
    TEST_RUN(test_relative_entry_across_a_seam);
    TEST_RUN(test_entry_outside_the_window);
    free(hm.img);
    TEST_DONE();
}
