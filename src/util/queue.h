/*
 * queue.h - a FIFO of opaque pointers in a growable ring buffer.
 *
 * Used for event delivery and breadth-first walks.  Push is amortised O(1);
 * the ring doubles when full and never shrinks.
 */
#ifndef TINYVMI_UTIL_QUEUE_H
#define TINYVMI_UTIL_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct util_queue util_queue_t;

util_queue_t *util_queue_new(void);
/* data_free (may be NULL) is called on every element still queued. */
void util_queue_free(util_queue_t *q, void (*data_free)(void *));
bool util_queue_push(util_queue_t *q, void *data); /* false: out of memory */
void *util_queue_pop(util_queue_t *q);             /* NULL when empty */
void *util_queue_peek(const util_queue_t *q);
size_t util_queue_length(const util_queue_t *q);
bool util_queue_is_empty(const util_queue_t *q);

#endif
