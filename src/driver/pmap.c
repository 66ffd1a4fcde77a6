/*
 * pmap.c - guest-physical runs onto a mapped file (see pmap.h).
 */
#include "driver/pmap.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

status_t driver_pmap_add(driver_pmap_t *m, addr_t start, uint64_t len, uint64_t offset,
                         uint32_t src, util_err_t *err)
{
    if (len == 0)
        return VMI_SUCCESS;
    if (m->nranges == m->cap_ranges) {
        size_t cap = m->cap_ranges ? m->cap_ranges * 2 : 16;
        driver_pmap_range_t *r = realloc(m->ranges, cap * sizeof(*r));
        if (!r) {
            util_err_set(err, "out of memory for %zu memory ranges", cap);
            return VMI_FAILURE;
        }
        m->ranges = r;
        m->cap_ranges = cap;
    }
    m->ranges[m->nranges++] = (driver_pmap_range_t){ start, len, offset, src };
    return VMI_SUCCESS;
}

void driver_pmap_free(driver_pmap_t *m)
{
    free(m->ranges);
    m->ranges = NULL;
    m->nranges = m->cap_ranges = 0;
    m->memsize = 0;
}

static int range_cmp(const void *a, const void *b)
{
    const driver_pmap_range_t *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->src < y->src ? -1 : x->src > y->src;
}

static const char *space_of(const driver_pmap_t *m)
{
    return m->virt ? "virtual" : "guest-physical";
}

static const char *where_of(const driver_pmap_t *m)
{
    return m->where ? m->where : "the image";
}

status_t driver_pmap_check_bounds(const driver_pmap_t *m, uint64_t size, util_err_t *err)
{
    const driver_pmap_range_t *r = m->ranges;
    const char *unit = m->unit ? m->unit : "range";
    const char *what = m->container ? m->container : "file";

    for (size_t i = 0; i < m->nranges; i++) {
        if (r[i].len > UINT64_MAX - r[i].start) {
            util_err_set(err, "%s %" PRIu32 " (%s 0x%" PRIx64 ", length 0x%" PRIx64
                         ") wraps past the top of the address space", unit, r[i].src,
                         space_of(m), r[i].start, r[i].len);
            return VMI_FAILURE;
        }
        if (r[i].offset > size || r[i].len > size - r[i].offset) {
            util_err_set(err, "%s %" PRIu32 " (%s 0x%" PRIx64 "-0x%" PRIx64 ") lies beyond "
                         "the end of the %s (%s offset 0x%" PRIx64 ", length 0x%" PRIx64
                         ", %s size 0x%" PRIx64 ")", unit, r[i].src, space_of(m),
                         r[i].start, r[i].start + r[i].len - 1, what, what, r[i].offset,
                         r[i].len, what, size);
            return VMI_FAILURE;
        }
    }
    return VMI_SUCCESS;
}

status_t driver_pmap_finish(driver_pmap_t *m, uint64_t size, util_err_t *err)
{
    driver_pmap_range_t *r = m->ranges;
    size_t n = m->nranges, k;
    const char *unit = m->unit ? m->unit : "range";

    if (n == 0) {
        util_err_set(err, "%s holds no guest memory (no ranges)", where_of(m));
        return VMI_FAILURE;
    }
    if (driver_pmap_check_bounds(m, size, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    qsort(r, n, sizeof(*r), range_cmp);
    for (size_t i = 1; i < n; i++) {
        if (r[i].start < r[i - 1].start + r[i - 1].len) {
            util_err_set(err, "%s %" PRIu32 " (%s 0x%" PRIx64 "-0x%" PRIx64 ") overlaps "
                         "%s %" PRIu32 " (0x%" PRIx64 "-0x%" PRIx64 ")", unit, r[i].src,
                         space_of(m), r[i].start,
                         r[i].start + r[i].len - 1, unit, r[i - 1].src,
                         r[i - 1].start, r[i - 1].start + r[i - 1].len - 1);
            return VMI_FAILURE;
        }
    }
    /* Neighbours contiguous in memory and in the mapping become one run,
     * so map() can hand out one pointer across them. */
    k = 0;
    for (size_t i = 1; i < n; i++) {
        if (r[i].start == r[k].start + r[k].len && r[i].offset == r[k].offset + r[k].len)
            r[k].len += r[i].len;
        else
            r[++k] = r[i];
    }
    m->nranges = k + 1;
    m->memsize = 0;
    for (size_t i = 0; i < m->nranges; i++)
        m->memsize += r[i].len;
    atomic_init(&m->last, 0);
    return VMI_SUCCESS;
}

/* The index of the run holding pa, or SIZE_MAX for a hole; then *above is
 * the index of the first run starting above pa. */
static size_t lookup(driver_pmap_t *m, addr_t pa, size_t *above)
{
    const driver_pmap_range_t *r = m->ranges;
    size_t n = m->nranges;
    size_t i = atomic_load_explicit(&m->last, memory_order_relaxed);
    size_t lo = 0, hi = n;

    /* Unsigned wrap makes this one compare: start <= pa < start + len. */
    if (i < n && pa - r[i].start < r[i].len)
        return i;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r[mid].start <= pa)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0 && pa - r[lo - 1].start < r[lo - 1].len) {
        atomic_store_explicit(&m->last, lo - 1, memory_order_relaxed);
        return lo - 1;
    }
    *above = lo;
    return SIZE_MAX;
}

static void hole_err(const driver_pmap_t *m, addr_t a, size_t above, util_err_t *err)
{
    const driver_pmap_range_t *r = m->ranges;
    size_t n = m->nranges;
    const char *word = m->virt ? "run" : "range";
    char near[160];

    if (n == 0) {
        util_err_set(err, "%s 0x%" PRIx64 " is not in %s: it holds no memory by %s address%s",
                     space_of(m), a, where_of(m), m->virt ? "virtual" : "physical",
                     m->empty_note ? m->empty_note : "");
        return;
    }
    if (above == 0)
        snprintf(near, sizeof(near), "below its first %s, 0x%" PRIx64 "-0x%" PRIx64, word,
                 r[0].start, r[0].start + r[0].len - 1);
    else if (above >= n)
        snprintf(near, sizeof(near), "past its last %s, 0x%" PRIx64 "-0x%" PRIx64, word,
                 r[n - 1].start, r[n - 1].start + r[n - 1].len - 1);
    else
        snprintf(near, sizeof(near), "hole between %ss 0x%" PRIx64 "-0x%" PRIx64 " and 0x%"
                 PRIx64 "-0x%" PRIx64, word, r[above - 1].start,
                 r[above - 1].start + r[above - 1].len - 1, r[above].start,
                 r[above].start + r[above].len - 1);
    if (m->virt)
        util_err_set(err, "virtual 0x%" PRIx64 " is not held by %s, which keeps copies of "
                     "%zu runs of memory only (%s)", a, where_of(m), n, near);
    else
        util_err_set(err, "guest-physical 0x%" PRIx64 " is not in %s (%s)", a, where_of(m),
                     near);
}

const void *driver_pmap_map(driver_pmap_t *m, addr_t pa, size_t len, util_err_t *err)
{
    size_t above = 0, i = lookup(m, pa, &above);
    const driver_pmap_range_t *r;

    if (i == SIZE_MAX) {
        hole_err(m, pa, above, err);
        return NULL;
    }
    r = &m->ranges[i];
    if (len > r->start + r->len - pa) {
        util_err_set(err, "%s 0x%" PRIx64 "-0x%" PRIx64 " is not stored contiguously in %s: "
                     "its %s ends at 0x%" PRIx64, space_of(m), pa, pa + (uint64_t)len - 1,
                     where_of(m), m->virt ? "run" : "range", r->start + r->len);
        return NULL;
    }
    return m->base + r->offset + (pa - r->start);
}

/* How transfer() moves bytes: out of or into the mapping, or out of the
 * file behind it with pread (which leaves the mapping untouched). */
enum pmap_how { PMAP_COPY_OUT, PMAP_COPY_IN, PMAP_PREAD };

/* n bytes at file offset off, all of them: pread stops short at a signal
 * or at the end of a file that shrank since it was opened. */
static status_t pread_all(int fd, const char *file, uint64_t off, uint8_t *buf, size_t n,
                          addr_t pa, const char *space_of_pa, util_err_t *err)
{
    while (n > 0) {
        ssize_t got = pread(fd, buf, n, (off_t)off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            util_err_set(err, "%s 0x%" PRIx64 ": reading %s at offset 0x%" PRIx64 " failed: %s",
                         space_of_pa, pa, file, off, strerror(errno));
            return VMI_FAILURE;
        }
        if (got == 0) {
            util_err_set(err, "%s 0x%" PRIx64 ": %s ends before offset 0x%" PRIx64 ": the file "
                         "shrank after it was opened", space_of_pa, pa, file, off);
            return VMI_FAILURE;
        }
        buf += got;
        off += (uint64_t)got;
        pa += (uint64_t)got;
        n -= (size_t)got;
    }
    return VMI_SUCCESS;
}

/* The one loop over the runs that [pa, pa + len) crosses, for every way of
 * moving bytes; how is a constant at each call, so the compiler makes one
 * copy per way. */
static inline status_t transfer(driver_pmap_t *m, addr_t pa, void *buf, size_t len,
                                size_t *done, enum pmap_how how, int fd, const char *file,
                                util_err_t *err)
{
    const driver_pmap_range_t *r = m->ranges;
    size_t above = 0, copied = 0, i;

    if (done)
        *done = 0;
    if (len == 0)
        return VMI_SUCCESS;
    i = lookup(m, pa, &above);
    if (i == SIZE_MAX) {
        hole_err(m, pa, above, err);
        return VMI_FAILURE;
    }
    for (;;) {
        uint64_t avail = r[i].start + r[i].len - pa;
        size_t n = len - copied < avail ? len - copied : (size_t)avail;
        uint64_t off = r[i].offset + (pa - r[i].start);
        uint8_t *mine = (uint8_t *)buf + copied;

        if (how == PMAP_PREAD) {
            if (pread_all(fd, file, off, mine, n, pa, space_of(m),
                          err) != VMI_SUCCESS)
                return VMI_FAILURE;
        } else if (how == PMAP_COPY_IN) {
            memcpy((uint8_t *)(uintptr_t)(m->base + off), mine, n);
        } else {
            memcpy(mine, m->base + off, n);
        }
        copied += n;
        if (done)
            *done = copied;
        if (copied == len)
            break;
        pa += n; /* the end of run i, which never wraps (validated) */
        if (i + 1 >= m->nranges || r[i + 1].start != pa) {
            hole_err(m, pa, i + 1, err);
            return VMI_FAILURE;
        }
        i++;
    }
    if (i != atomic_load_explicit(&m->last, memory_order_relaxed))
        atomic_store_explicit(&m->last, i, memory_order_relaxed);
    return VMI_SUCCESS;
}

status_t driver_pmap_copy(driver_pmap_t *m, addr_t pa, void *buf, size_t len, size_t *done,
                          bool write, util_err_t *err)
{
    return write ? transfer(m, pa, buf, len, done, PMAP_COPY_IN, -1, NULL, err)
                 : transfer(m, pa, buf, len, done, PMAP_COPY_OUT, -1, NULL, err);
}

status_t driver_pmap_pread(driver_pmap_t *m, int fd, const char *file, addr_t pa, void *buf,
                           size_t len, size_t *done, util_err_t *err)
{
    return transfer(m, pa, buf, len, done, PMAP_PREAD, fd, file, err);
}

addr_t driver_pmap_max_pa(const driver_pmap_t *m)
{
    return m->nranges ? m->ranges[m->nranges - 1].start + m->ranges[m->nranges - 1].len : 0;
}

bool driver_pmap_range(const driver_pmap_t *m, size_t i, driver_range_t *out)
{
    if (i >= m->nranges)
        return false;
    out->start = m->ranges[i].start;
    out->end = m->ranges[i].start + m->ranges[i].len;
    return true;
}
