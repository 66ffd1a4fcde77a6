/*
 * sys_posix.c - the platform seam (sys.h) on a POSIX host: files through
 * open/read, output through stdio, getenv, one spin lock, anonymous
 * pages, and the SIGBUS handler of the fault guard.
 *
 * This is the one file a port replaces; it is also the only non-driver
 * file allowed to call the host beyond tests/seam/allowlist (the seam check
 * skips it).  It must not know anything of TinyVMI beyond sys.h: no
 * instance, no reason buffers, no guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/sys.h"

/* ---- Files ---- */

bool util_sys_open(util_sys_file_t *f, const char *path, const char **why)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        *why = strerror(errno);
        return false;
    }
    f->handle = fd;
    f->regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0;
    f->size = f->regular ? (uint64_t)st.st_size : 0;
    return true;
}

long long util_sys_read(util_sys_file_t *f, void *buf, size_t n, const char **why)
{
    for (;;) {
        ssize_t r = read((int)f->handle, buf, n);
        if (r >= 0)
            return r;
        if (errno != EINTR) {
            *why = strerror(errno);
            return -1;
        }
    }
}

void util_sys_close(util_sys_file_t *f)
{
    close((int)f->handle);
    f->handle = -1;
}

bool util_sys_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---- Output ---- */

void util_sys_write(void *stream, const void *p, size_t n)
{
    fwrite(p, 1, n, stream ? (FILE *)stream : stdout);
}

bool util_sys_flush(void *stream)
{
    FILE *f = stream ? (FILE *)stream : stdout;
    return fflush(f) == 0 && !ferror(f);
}

/* ---- Environment, lock ---- */

const char *util_sys_getenv(const char *name)
{
    return getenv(name);
}

/* The lock guards the embedded-entry table only: held while a few table
 * slots are compared, a few times in a process's life.  A C11 atomic flag
 * that yields the processor while another thread holds it does that job.  A
 * pthread mutex would do it too, but it brings musl's futex, timed-wait and
 * clock (vDSO lookup) code into every static tool: 3.2 KB of the 200 KB an
 * image tool may weigh (issue #12). */
static atomic_flag lock = ATOMIC_FLAG_INIT;

void util_sys_lock(void)
{
    while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire))
        sched_yield();
}

void util_sys_unlock(void)
{
    atomic_flag_clear_explicit(&lock, memory_order_release);
}

/* ---- Pages ---- */

void *util_sys_page_new(const char **why)
{
    void *p = mmap(NULL, UTIL_SYS_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED) {
        *why = strerror(errno);
        return NULL;
    }
    return p;
}

void util_sys_page_seal(void *page)
{
    mprotect(page, UTIL_SYS_PAGE, PROT_READ);
}

void util_sys_page_free(void *page)
{
    munmap(page, UTIL_SYS_PAGE);
}

/* ---- Large buffers handed back on free ----
 *
 * A 64-byte header in front of the caller's bytes holds the mapping's
 * length for munmap and keeps the caller's part 64-byte aligned. */

#define BIG_HEADER 64u

void *util_sys_big_new(size_t n)
{
    if (n > SIZE_MAX - BIG_HEADER - (UTIL_SYS_PAGE - 1))
        return NULL;
    size_t total = (n + BIG_HEADER + UTIL_SYS_PAGE - 1) & ~(size_t)(UTIL_SYS_PAGE - 1);
    void *m = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    *(size_t *)m = total;
    return (unsigned char *)m + BIG_HEADER;
}

void util_sys_big_free(void *p)
{
    if (!p)
        return;
    unsigned char *m = (unsigned char *)p - BIG_HEADER;
    munmap(m, *(size_t *)m);
}

/* ---- Fault guard ---- */

static util_sys_fault_fn fault_fn;
static struct sigaction previous;

static void on_sigbus(int sig, siginfo_t *info, void *uctx)
{
    /* Returns only when the fault is not the core's. */
    fault_fn(info ? info->si_addr : NULL);
    if (previous.sa_flags & SA_SIGINFO) {
        if (previous.sa_sigaction) {
            previous.sa_sigaction(sig, info, uctx);
            return;
        }
    } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(sig);
        return;
    }
    /* Default action: put it back; returning re-raises the fault. */
    sigaction(SIGBUS, &previous, NULL);
}

void util_sys_fault_install(util_sys_fault_fn on_fault)
{
    struct sigaction sa;

    fault_fn = on_fault;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_sigbus;
    /* NODEFER: after the jump SIGBUS must not stay blocked, or the next one
     * would kill the process. */
    sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, &previous);
}

void util_sys_longjmp(util_sys_jmp_t env)
{
    siglongjmp(env, 1);
}
