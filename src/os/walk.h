/*
 * walk.h - the one bounded walk over a circular, doubly linked list in
 * guest memory (Linux's struct list_head, Windows' LIST_ENTRY: both keep
 * the forward link first), shared by every OS layer.
 *
 * An iterator: os_walk_next hands out the address of each entry's link
 * after the head, in order, until the list comes back to its head.  Guest
 * memory is hostile, so a walk stops with a reason on the instance at an
 * unreadable link, a link that is not a kernel address, an entry seen
 * before (a cycle that misses the head) or more than `limit` entries.  The
 * OS layer says how to read a pointer and what a kernel address is; this
 * file knows nothing else of either OS.
 */
#ifndef TINYVMI_OS_WALK_H
#define TINYVMI_OS_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libvmi/libvmi.h>

/* How the OS layer reads one guest pointer at va, and judges one. */
typedef status_t (*os_read_ptr_fn)(vmi_instance_t vmi, const void *os, addr_t va, addr_t *out);
typedef bool (*os_is_kernel_fn)(const void *os, addr_t va);

typedef struct os_walk {
    addr_t head;      /* the link the walk started from */
    addr_t cur;       /* the link last returned (head before the first) */
    size_t count;     /* entries returned so far */
    size_t limit;
    const char *what; /* names the list in reasons ("module list"); NULL: "list" */
    os_read_ptr_fn read_ptr;
    os_is_kernel_fn is_kernel;
    const void *os;   /* the OS layer's state, for the two callbacks */
    /* Every link seen (open addressing), to catch a cycle that misses the
     * head. */
    uint64_t *seen;
    size_t seen_cap, seen_count;
} os_walk_t;

/* limit 0: OS_WALK_LIMIT. */
void os_walk_init(os_walk_t *w, addr_t head, size_t limit, const char *what,
                  os_read_ptr_fn read_ptr, os_is_kernel_fn is_kernel, const void *os);
/* Step to the next entry.  1 with *next set; 0 at the end (back at the
 * head); -1 on damage, with the reason on the instance. */
int os_walk_next(vmi_instance_t vmi, os_walk_t *w, addr_t *next);
/* Free what the walk holds (always, also after -1). */
void os_walk_done(os_walk_t *w);

#endif
