/* time.h - empty: LibVMI's header includes it for its programs; the core
 * keeps no time. */
#ifndef TINYVMI_LIBC_TIME_H
#define TINYVMI_LIBC_TIME_H
#endif
