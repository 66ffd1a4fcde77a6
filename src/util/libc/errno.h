/* errno.h - empty: LibVMI's header includes it for its programs; the core
 * itself reads no errno (host reasons come through util/sys.h). */
#ifndef TINYVMI_LIBC_ERRNO_H
#define TINYVMI_LIBC_ERRNO_H
#endif
