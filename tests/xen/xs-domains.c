/*
 * xs-domains.c - runs in the Xen test dom0 (static): lists the domains
 * xenstore knows, one "DOMID NAME" line each, sorted by domid as xenstore
 * returns them.  The smallest proof that a host-built static program can
 * talk to Xen from dom0 (tests/xen/README.md); not part of TinyVMI.
 *
 * Exit status 1, with the reason, when xenstore cannot be opened or read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

int main(void)
{
    struct xs_handle *xs = xs_open(0);
    if (!xs) {
        fprintf(stderr, "xs-domains: xs_open: %s\n", strerror(errno));
        return 1;
    }
    unsigned int n = 0;
    char **ids = xs_directory(xs, XBT_NULL, "/local/domain", &n);
    if (!ids) {
        fprintf(stderr, "xs-domains: xs_directory /local/domain: %s\n", strerror(errno));
        xs_close(xs);
        return 1;
    }
    for (unsigned int i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof(path), "/local/domain/%s/name", ids[i]);
        unsigned int len = 0;
        char *name = xs_read(xs, XBT_NULL, path, &len);
        printf("%s %s\n", ids[i], name ? name : "?");
        free(name);
    }
    free(ids);
    xs_close(xs);
    return 0;
}
