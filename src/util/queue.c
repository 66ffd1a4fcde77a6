/*
 * queue.c - the FIFO ring buffer (see queue.h).
 *
 * The ring's size is a power of two so an index wraps with a mask.  When
 * full it doubles and the queued elements are copied out in FIFO order
 * (the run from head to the end of the array, then the wrapped run), so
 * growing while wrapped keeps the order.  It never shrinks: queues here are
 * short-lived or steady in size.  Nothing here looks at the data.
 */
#include "util/queue.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE_MIN_CAP 8

struct util_queue {
    void **ring;
    size_t cap;   /* power of two */
    size_t head;  /* index of the oldest element */
    size_t count;
};

util_queue_t *util_queue_new(void)
{
    util_queue_t *q = calloc(1, sizeof(*q));

    if (!q)
        return NULL;
    q->ring = malloc(QUEUE_MIN_CAP * sizeof(*q->ring));
    if (!q->ring) {
        free(q);
        return NULL;
    }
    q->cap = QUEUE_MIN_CAP;
    return q;
}

void util_queue_free(util_queue_t *q, void (*data_free)(void *))
{
    if (!q)
        return;
    if (data_free)
        for (size_t i = 0; i < q->count; i++)
            data_free(q->ring[(q->head + i) & (q->cap - 1)]);
    free(q->ring);
    free(q);
}

static bool grow(util_queue_t *q)
{
    size_t ncap = q->cap * 2;
    size_t first = q->cap - q->head; /* elements from head to the array end */
    void **nr;

    if (ncap < q->cap || ncap > SIZE_MAX / sizeof(*nr))
        return false;
    nr = malloc(ncap * sizeof(*nr));
    if (!nr)
        return false;
    if (first > q->count)
        first = q->count;
    memcpy(nr, q->ring + q->head, first * sizeof(*nr));
    memcpy(nr + first, q->ring, (q->count - first) * sizeof(*nr));
    free(q->ring);
    q->ring = nr;
    q->cap = ncap;
    q->head = 0;
    return true;
}

bool util_queue_push(util_queue_t *q, void *data)
{
    if (!q)
        return false;
    if (q->count == q->cap && !grow(q))
        return false;
    q->ring[(q->head + q->count) & (q->cap - 1)] = data;
    q->count++;
    return true;
}

void *util_queue_pop(util_queue_t *q)
{
    void *data;

    if (!q || q->count == 0)
        return NULL;
    data = q->ring[q->head];
    q->head = (q->head + 1) & (q->cap - 1);
    q->count--;
    return data;
}

void *util_queue_peek(const util_queue_t *q)
{
    if (!q || q->count == 0)
        return NULL;
    return q->ring[q->head];
}

size_t util_queue_length(const util_queue_t *q)
{
    return q ? q->count : 0;
}

bool util_queue_is_empty(const util_queue_t *q)
{
    return !q || q->count == 0;
}
