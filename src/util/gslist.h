/*
 * gslist.h - lists handed to programs that free them the glib way.
 *
 * LibVMI returns some results (vmi_get_va_pages) as a glib GSList of
 * g_malloc'd elements, and its programs free them with
 * g_slist_free_full(list, g_free) or g_free per element plus g_slist_free.
 * TinyVMI does not link glib, but such a program does, so the nodes and
 * elements must come from glib's own allocators whenever glib is in the
 * process: glib up to 2.74 (Debian bookworm) frees list nodes into its
 * slice allocator, which must not be handed memory from malloc.  The
 * allocators are found through weak references, resolved when glib is
 * linked into the program (dynamically or statically) and NULL otherwise,
 * in which case plain malloc is used and util_gslist_free (the public
 * tvmi_free_va_pages) is the way to free.  Either way util_gslist_free frees
 * with whatever allocated, so it is always right.
 *
 * Nodes are util_list_t, whose layout is GSList's (data, then next).
 */
#ifndef TINYVMI_UTIL_GSLIST_H
#define TINYVMI_UTIL_GSLIST_H

#include <stdbool.h>
#include <stddef.h>

#include "util/list.h"

/* size zeroed bytes for one element (g_try_malloc0 or calloc); NULL when
 * out of memory. */
void *util_gslist_data_alloc(size_t size);

/* Append a node holding data after *tail (O(1)); *head is set for the
 * first node.  False when out of memory (the list is unchanged). */
bool util_gslist_append(util_list_t **head, util_list_t **tail, void *data);

/* Free every node and its element.  NULL is the empty list. */
void util_gslist_free(util_list_t *list);

/* Whether glib's allocators are in use ("glib" or "malloc"), for tests. */
const char *util_gslist_allocator(void);

#endif
