/*
 * set-target.c - the dom0 half of the stub-domain model (dom0_stub.sh):
 * gives domain DOMID rights over domain TARGET (xc_domain_set_target, what
 * a device-model stub domain gets), so that a TinyVMI tool inside DOMID
 * may map TARGET's memory and read its registers.  Prints Xen's answer.
 *
 *   set-target DOMID TARGET
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xenctrl.h>

int main(int argc, char **argv)
{
    xc_interface *xc;
    int rc;

    if (argc != 3) {
        fprintf(stderr, "usage: set-target DOMID TARGET\n");
        return 2;
    }
    xc = xc_interface_open(NULL, NULL, 0);
    if (!xc) {
        printf("set-target: cannot open the hypervisor interface: %s\n", strerror(errno));
        return 1;
    }
    rc = xc_domain_set_target(xc, (uint32_t)atoi(argv[1]), (uint32_t)atoi(argv[2]));
    printf("set-target: xc_domain_set_target(%s, %s): %s\n", argv[1], argv[2],
           rc ? strerror(errno) : "done");
    xc_interface_close(xc);
    return rc ? 1 : 0;
}
