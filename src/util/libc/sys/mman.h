/* sys/mman.h - the protection bits vmi_mmap_guest* take (LibVMI's API),
 * with POSIX's values as Linux numbers them; the core maps nothing itself
 * (the pages come from util/sys.h). */
#ifndef TINYVMI_LIBC_SYS_MMAN_H
#define TINYVMI_LIBC_SYS_MMAN_H

#define PROT_NONE  0x0
#define PROT_READ  0x1
#define PROT_WRITE 0x2
#define PROT_EXEC  0x4

#endif
