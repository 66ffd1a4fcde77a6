/*
 * xen_store.c - which domain the caller means: a name looked up in xenstore
 * (/local/domain/<id>/name), or an id whose name xenstore tells.
 *
 * xenstore is the toolstack's, and an unprivileged domain (a stub domain
 * given rights over its target) may read its target's entries but not list
 * /local/domain.  Then the ids come from Xen's own domain list instead and
 * each name is read where permitted; every denial is counted and named in
 * the reason when the name is not found.  This file must not map memory or
 * touch vCPUs.
 */
#include "driver/xen.h"

#if TINYVMI_XEN

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strutil.h"

/* Bounds on what xenstore may hand us: it is the toolstack's, but a long
 * list or name must not make us loop or allocate without end. */
#define XS_MAX_DOMAINS 32768u
#define XS_MAX_NAME 256u

/* The name of domain id, malloc'd; NULL with *why = errno when unreadable. */
static char *read_name(xen_state_t *st, uint32_t id, int *why)
{
    char path[64];
    unsigned int len = 0;
    char *v;
    snprintf(path, sizeof(path), "/local/domain/%u/name", id);
    v = xs_read(st->xs, XBT_NULL, path, &len);
    if (!v) {
        *why = errno;
        return NULL;
    }
    if (len == 0 || len > XS_MAX_NAME || memchr(v, '\0', len)) {
        free(v);
        *why = EINVAL;
        return NULL;
    }
    return v; /* xs_read NUL-terminates */
}

/* Sets *found to the id of the domain called name among ids[0..n). */
static void match(xen_state_t *st, const uint32_t *ids, size_t n, const char *name,
                  bool *found, uint32_t *domid, size_t *denied, char *seen, size_t seen_len)
{
    size_t used = strlen(seen);
    for (size_t i = 0; i < n && !*found; i++) {
        int why = 0;
        char *v = read_name(st, ids[i], &why);
        if (!v) {
            if (why == EACCES || why == EPERM)
                (*denied)++;
            continue;
        }
        if (strcmp(v, name) == 0) {
            *found = true;
            *domid = ids[i];
        } else if (used + strlen(v) + 3 < seen_len) {
            used += (size_t)snprintf(seen + used, seen_len - used, "%s%s", used ? ", " : "", v);
        }
        free(v);
    }
}

/* Every domain id Xen lists (up to max); -1 with errno when it will not. */
static long xen_ids(xen_state_t *st, uint32_t *ids, size_t max)
{
    xc_domaininfo_t info[64];
    size_t n = 0;
    uint32_t next = 0;
    while (n < max) {
        int got = xc_domain_getinfolist(st->xc, next, 64, info);
        if (got < 0)
            return -1;
        if (got == 0)
            break;
        for (int i = 0; i < got && n < max; i++)
            ids[n++] = info[i].domain;
        next = info[got - 1].domain + 1;
        if (got < 64 || next >= DOMID_FIRST_RESERVED)
            break;
    }
    return (long)n;
}

static status_t by_name(xen_state_t *st, const char *name, uint32_t *domid, util_err_t *err)
{
    char seen[256] = "";
    size_t denied = 0;
    bool found = false;
    unsigned int n = 0;
    char **dir;
    uint32_t *ids;

    if (!st->xs) {
        util_err_set(err, "cannot open xenstore (%s), so no domain can be found by name "
                          "(\"%s\"); name it by id (VMI_INIT_DOMAINID)", st->xs_reason, name);
        return VMI_FAILURE;
    }
    ids = calloc(XS_MAX_DOMAINS, sizeof(*ids));
    if (!ids) {
        util_err_set(err, "out of memory");
        return VMI_FAILURE;
    }
    dir = xs_directory(st->xs, XBT_NULL, "/local/domain", &n);
    if (dir) {
        size_t k = 0;
        for (unsigned int i = 0; i < n && k < XS_MAX_DOMAINS; i++) {
            uint64_t v;
            const char *end = util_scan_decimal(dir[i], &v);
            if (end && *end == '\0' && v < DOMID_FIRST_RESERVED)
                ids[k++] = (uint32_t)v;
        }
        free(dir);
        match(st, ids, k, name, &found, domid, &denied, seen, sizeof(seen));
        free(ids);
        if (found)
            return VMI_SUCCESS;
        util_err_set(err, "no domain named \"%s\": xenstore lists %zu (%s)%s", name,
                     (size_t)n, seen[0] ? seen : "none readable",
                     denied ? "; some names could not be read (permission denied)" : "");
        return VMI_FAILURE;
    }

    /* Denied the list (an unprivileged domain): try the ids Xen lists. */
    int why = errno;
    long k = xen_ids(st, ids, XS_MAX_DOMAINS);
    if (k < 0) {
        int xwhy = errno;
        free(ids);
        util_err_set(err, "cannot find domain \"%s\": xenstore refused to list "
                          "/local/domain (%s) and Xen refused the domain list (%s)",
                     name, strerror(why), strerror(xwhy));
        return VMI_FAILURE;
    }
    match(st, ids, (size_t)k, name, &found, domid, &denied, seen, sizeof(seen));
    free(ids);
    if (found)
        return VMI_SUCCESS;
    util_err_set(err, "no domain named \"%s\" that this domain may see: xenstore refused "
                      "to list /local/domain (%s); of the %ld domains Xen lists, %zu names "
                      "were denied (xenstore permissions: the target's "
                      "/local/domain/<id>/name must be readable here)%s%s",
                 name, strerror(why), k, denied, seen[0] ? "; readable: " : "", seen);
    return VMI_FAILURE;
}

status_t xen_store_resolve(xen_state_t *st, const driver_target_t *t, uint32_t *domid,
                           char **name, util_err_t *err)
{
    *name = NULL;
    if (t->flags & VMI_INIT_DOMAINID) {
        int why = 0;
        if (t->id >= DOMID_FIRST_RESERVED) {
            util_err_set(err, "domain id %llu is not a domain (ids are below %u)",
                         (unsigned long long)t->id, DOMID_FIRST_RESERVED);
            return VMI_FAILURE;
        }
        *domid = (uint32_t)t->id;
        /* A name is a nicety here: a denied or missing one is no failure. */
        if (st->xs)
            *name = read_name(st, *domid, &why);
        return VMI_SUCCESS;
    }
    if (!t->name || !t->name[0]) {
        util_err_set(err, "no domain name given");
        return VMI_FAILURE;
    }
    if (by_name(st, t->name, domid, err) != VMI_SUCCESS)
        return VMI_FAILURE;
    *name = util_strdup(t->name);
    if (!*name) {
        util_err_set(err, "out of memory");
        return VMI_FAILURE;
    }
    return VMI_SUCCESS;
}

#endif /* TINYVMI_XEN */
