/*
 * sys.h - the platform seam: every service the core (util/, arch/, core/,
 * os/, events/) asks of its host beyond memory, strings and formatting into
 * a buffer.  sys_posix.c is the POSIX host's half; a port to MiniOS, a
 * unikernel or any other place without POSIX writes its own sys_<port>.c
 * in place of that one file (and, with TINYVMI_FREESTANDING, gets the jump
 * and thread-local definitions below that need no C library).  Drivers do
 * their own I/O and are not bound by this file.
 *
 * What else the core may call in the C library is listed, one reason a
 * line, in tests/seam/allowlist; tests/seam/check.sh fails the build's
 * tests on any other undefined symbol in a core object.
 *
 * Conventions: functions that can fail return false (or NULL, or -1) and
 * put the host's reason in *why, a static string to copy into the caller's
 * own message ("No such file or directory"); why is never NULL.  A port
 * without the service says so there ("no file system").  Every slot says
 * what the core does when it fails, so a port knows what it gives up.
 */
#ifndef TINYVMI_UTIL_SYS_H
#define TINYVMI_UTIL_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Files, read by path ----
 *
 * Configuration files, System.map, ISF/JSON profiles.  None is needed by a
 * program whose configuration and symbols are embedded (tvmi_embed_*) or
 * given as a string: a port without a file system fails util_sys_open and
 * returns false from util_sys_exists, and loses only those sources. */
typedef struct util_sys_file {
    intptr_t handle;    /* the port's own; untouched by callers */
    uint64_t size;      /* at open: the size in bytes */
    bool regular;       /* at open: a regular file with a known size (callers
                         * refuse anything else: a FIFO or device may never end) */
} util_sys_file_t;

/* Open path for reading.  Fails when it cannot be opened. */
bool util_sys_open(util_sys_file_t *f, const char *path, const char **why);
/* Up to n bytes from the current position: the count, 0 at the end, -1 on
 * an error (an interrupted read is retried here, never reported). */
long long util_sys_read(util_sys_file_t *f, void *buf, size_t n, const char **why);
void util_sys_close(util_sys_file_t *f);
/* Whether something exists at path (the global config file search skips
 * the candidates that do not).  Cannot fail: false when unsure. */
bool util_sys_exists(const char *path);

/* ---- Output ----
 *
 * stream is a FILE * a host program handed to the library
 * (tvmi_embed_generate), or NULL for the standard output
 * (vmi_print_hex*: LibVMI prints there, in order with the program's own
 * printf, so the POSIX half writes through stdio).  Write failures are
 * reported by util_sys_flush, as stdio does. */
void util_sys_write(void *stream, const void *p, size_t n);
/* Push out what is buffered; false if this or any earlier write to stream
 * failed (tvmi_embed_generate then fails: "writing the C file failed"). */
bool util_sys_flush(void *stream);

/* ---- Environment ----
 *
 * TINYVMI_CONF and HOME name config files to look for.  NULL when unset; a
 * port without an environment returns NULL always. */
const char *util_sys_getenv(const char *name);

/* ---- One process-wide lock ----
 *
 * Guards the embedded-entry table (core/embed.c) against threads that
 * register and look up at once.  Never held across a call that could take
 * it again.  A port with one thread may make both no-ops. */
void util_sys_lock(void);
void util_sys_unlock(void);

/* ---- Pages handed to the caller ----
 *
 * vmi_mmap_guest* give the caller page-sized copies that LibVMI's API says
 * the caller releases with munmap: the POSIX half maps anonymous pages.
 * NULL when none is left (the call fails with the reason); seal makes a
 * filled page read-only where the host can (a port may do nothing). */
#define UTIL_SYS_PAGE 4096u
void *util_sys_page_new(const char **why);
void util_sys_page_seal(void *page);
void util_sys_page_free(void *page);

/* ---- Large buffers handed back on free ----
 *
 * Megabyte buffers that must not stay resident once freed: the kernel's
 * BTF, which a Linux instance drops after start-up and reads again on
 * demand (3-6 MB for the life of an instance otherwise).  malloc cannot
 * promise that: glibc serves a large block by mmap only below a threshold
 * that it raises to the size of the last such block freed (the kallsyms
 * window start-up frees is 1-25 MB), after which blocks of that size come
 * from the heap and stay there.  The POSIX half maps them anonymously and
 * unmaps them on free.  Fresh pages cost a fault each on first touch, so
 * this is for buffers kept a while, not for every large scratch buffer.
 * NULL when no memory is left (the caller fails as for malloc) or n is
 * beyond what the host can map; writable, aligned to 64 bytes.  A port may
 * serve both from malloc. */
void *util_sys_big_new(size_t n);
void util_sys_big_free(void *p);

/* ---- The fault guard's host part (core/fault.c) ----
 *
 * Drivers that map files hand the core pointers into them; a file that
 * shrinks turns a read into a fault (SIGBUS on POSIX).  The core arms a
 * jump point (UTIL_SYS_SETJMP, in the public call's own frame: it cannot be
 * a function) and installs, once, a handler that the host calls with the
 * faulting address.  The handler jumps back with util_sys_longjmp if the
 * fault is the core's; if it returns, the fault is not ours and the host
 * half passes it on to whatever handled it before (or its default action).
 * A port whose drivers never map files may install nothing. */
typedef void (*util_sys_fault_fn)(void *addr);
void util_sys_fault_install(util_sys_fault_fn on_fault);

#ifdef TINYVMI_FREESTANDING
/* The compiler's own jump: no C library, no signal mask to restore.  The
 * port's util_sys_longjmp is then __builtin_longjmp(env, 1). */
typedef void *util_sys_jmp_t[5];
#define UTIL_SYS_SETJMP(env) __builtin_setjmp(env)
#else
#include <setjmp.h>
/* sigsetjmp without saving the mask: the handler runs with SA_NODEFER, so
 * nothing needs restoring, and saving it would cost a system call per
 * guarded public call. */
typedef sigjmp_buf util_sys_jmp_t;
#define UTIL_SYS_SETJMP(env) sigsetjmp((env), 0)
#endif
/* Back to the UTIL_SYS_SETJMP point, which then returns nonzero. */
_Noreturn void util_sys_longjmp(util_sys_jmp_t env);

/* Small per-thread state read on every guarded call (the fault guard's
 * armed point): initial-exec, one thread-pointer-relative load and no call
 * into the dynamic loader even in the shared library.  Only for a few
 * pointers: a shared library loaded late gets little static TLS room. */
#define UTIL_SYS_THREAD_LOCAL _Thread_local __attribute__((tls_model("initial-exec")))

/* ---- Built on the seam (sys.c: portable, not replaced by a port) ---- */

/* util_sys_load: a whole regular file of at most max bytes, NUL-terminated.
 * Each caller words its own reason from the outcome. */
typedef enum util_sys_load_status {
    UTIL_SYS_LOAD_OK,
    UTIL_SYS_LOAD_NO_OPEN,     /* cannot be opened: why says why */
    UTIL_SYS_LOAD_NOT_REGULAR, /* not a regular file */
    UTIL_SYS_LOAD_TOO_BIG,     /* size > max */
    UTIL_SYS_LOAD_NO_MEMORY,   /* no buffer for size + 1 bytes */
    UTIL_SYS_LOAD_SHORT,       /* the read stopped after len of size bytes
                                * (data holds them; still the caller's to free) */
} util_sys_load_status_t;
typedef struct util_sys_load {
    char *data;         /* malloc'd, data[len] == '\0'; NULL unless OK or SHORT */
    size_t len;
    uint64_t size;      /* the file's size as opened */
    const char *why;    /* the host's reason for NO_OPEN or a failed read */
} util_sys_load_t;
util_sys_load_status_t util_sys_load(const char *path, uint64_t max, util_sys_load_t *out);

/* printf to a stream through util_sys_write.  false when the text could
 * not be formatted (no memory for a long one); write errors show at
 * util_sys_flush. */
bool util_sys_printf(void *stream, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
