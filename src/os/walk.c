/*
 * walk.c - the bounded list walk (walk.h).  The set of links seen grows by
 * doubling and is freed by os_walk_done; address 0 never enters it (a null
 * link is refused first, as not a kernel address).
 */
#include "os/walk.h"

#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "os/os.h"

void os_walk_init(os_walk_t *w, addr_t head, size_t limit, const char *what,
                  os_read_ptr_fn read_ptr, os_is_kernel_fn is_kernel, const void *os)
{
    memset(w, 0, sizeof(*w));
    w->head = w->cur = head;
    w->limit = limit ? limit : OS_WALK_LIMIT;
    w->what = what ? what : "list";
    w->read_ptr = read_ptr;
    w->is_kernel = is_kernel;
    w->os = os;
}

void os_walk_done(os_walk_t *w)
{
    free(w->seen);
    w->seen = NULL;
    w->seen_cap = w->seen_count = 0;
}

static size_t slot_of(uint64_t a, size_t cap)
{
    a ^= a >> 30;
    a *= 0xbf58476d1ce4e5b9ULL;
    a ^= a >> 27;
    return (size_t)(a ^ (a >> 31)) & (cap - 1);
}

/* 1: added, 0: already there, -1: out of memory. */
static int seen_add(os_walk_t *w, uint64_t a)
{
    if ((w->seen_count + 1) * 2 > w->seen_cap) {
        size_t cap = w->seen_cap ? w->seen_cap * 2 : 256;
        uint64_t *n = calloc(cap, sizeof(*n));
        if (!n)
            return -1;
        for (size_t i = 0; i < w->seen_cap; i++) {
            if (!w->seen[i])
                continue;
            size_t j = slot_of(w->seen[i], cap);
            while (n[j])
                j = (j + 1) & (cap - 1);
            n[j] = w->seen[i];
        }
        free(w->seen);
        w->seen = n;
        w->seen_cap = cap;
    }
    size_t j = slot_of(a, w->seen_cap);
    while (w->seen[j]) {
        if (w->seen[j] == a)
            return 0;
        j = (j + 1) & (w->seen_cap - 1);
    }
    w->seen[j] = a;
    w->seen_count++;
    return 1;
}

int os_walk_next(vmi_instance_t vmi, os_walk_t *w, addr_t *next)
{
    addr_t n;
    int added;

    if (w->read_ptr(vmi, w->os, w->cur, &n) != VMI_SUCCESS) {
        core_error_prefix(vmi, "%s: entry %zu: the link at 0x%llx is unreadable", w->what,
                          w->count, (unsigned long long)w->cur);
        return -1;
    }
    if (n == w->head)
        return 0;
    if (n == 0 || !w->is_kernel(w->os, n)) {
        core_error(vmi, "%s: entry %zu: the link at 0x%llx is 0x%llx, not a kernel address "
                        "(corrupt list)", w->what, w->count, (unsigned long long)w->cur,
                   (unsigned long long)n);
        return -1;
    }
    if (w->count >= w->limit) {
        core_error(vmi, "%s from 0x%llx: more than %zu entries without coming back to the "
                        "head (corrupt or cyclic)", w->what, (unsigned long long)w->head,
                   w->limit);
        return -1;
    }
    if ((added = seen_add(w, n)) <= 0) {
        if (added < 0)
            core_error(vmi, "%s: out of memory after %zu entries", w->what, w->count);
        else
            core_error(vmi, "%s from 0x%llx: entry %zu at 0x%llx was already visited (a "
                            "cycle that misses the list head)", w->what,
                       (unsigned long long)w->head, w->count, (unsigned long long)n);
        return -1;
    }
    w->cur = n;
    w->count++;
    *next = n;
    return 1;
}
