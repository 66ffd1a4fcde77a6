/*
 * test_sys.c - the platform seam's POSIX half (src/util/sys.h) and what the
 * core builds on it: whole files load or fail with the outcome each caller
 * words its reason from, formatted output reaches the stream whole, and
 * vmi_print_hex, now written a line at a time through the seam, prints what
 * `hexdump -C` printed for the same bytes; the process-wide lock keeps a
 * second thread out while it is held.
 */
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <libvmi/libvmi.h>
#include "util/sys.h"

static char dir[] = "/tmp/tinyvmi-sys-XXXXXX";

static void write_file(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(text, 1, n, f) == n);
    if (f)
        fclose(f);
}

static void test_load_outcomes(void)
{
    char path[256];
    util_sys_load_t f;

    snprintf(path, sizeof(path), "%s/absent", dir);
    CHECK(util_sys_load(path, 100, &f) == UTIL_SYS_LOAD_NO_OPEN);
    CHECK_STREQ(f.why, "No such file or directory"); /* strerror(ENOENT), as before */
    CHECK(f.data == NULL);

    CHECK(util_sys_load(dir, 100, &f) == UTIL_SYS_LOAD_NOT_REGULAR);
    CHECK(f.data == NULL);

    snprintf(path, sizeof(path), "%s/text", dir);
    write_file(path, "ab\0cd", 5);
    CHECK(util_sys_load(path, 4, &f) == UTIL_SYS_LOAD_TOO_BIG);
    CHECK_EQ_U64(f.size, 5);
    CHECK(f.data == NULL);

    CHECK(util_sys_load(path, 5, &f) == UTIL_SYS_LOAD_OK);
    CHECK_EQ_U64(f.len, 5);
    CHECK_EQ_U64(f.size, 5);
    CHECK(f.data && memcmp(f.data, "ab\0cd", 6) == 0); /* and a NUL after the end */
    free(f.data);

    write_file(path, "", 0);
    CHECK(util_sys_load(path, 5, &f) == UTIL_SYS_LOAD_OK);
    CHECK(f.data && f.len == 0 && f.data[0] == '\0');
    free(f.data);
    unlink(path);
}

static void test_open_read_close(void)
{
    char path[256];
    util_sys_file_t f;
    const char *why = NULL;
    char buf[8];

    snprintf(path, sizeof(path), "%s/chunks", dir);
    write_file(path, "0123456789", 10);
    CHECK(util_sys_open(&f, path, &why));
    CHECK(f.regular);
    CHECK_EQ_U64(f.size, 10);
    CHECK_EQ_U64(util_sys_read(&f, buf, 8, &why), 8);
    CHECK_EQ_U64(util_sys_read(&f, buf, 8, &why), 2);
    CHECK(memcmp(buf, "89", 2) == 0);
    CHECK_EQ_U64(util_sys_read(&f, buf, 8, &why), 0);
    util_sys_close(&f);
    CHECK(util_sys_exists(path));
    unlink(path);
    CHECK(!util_sys_exists(path));
    CHECK(!util_sys_open(&f, path, &why));
    CHECK_STREQ(why, "No such file or directory");
}

/* A long line goes out whole, not cut at the formatting buffer. */
static void test_printf_to_stream(void)
{
    char path[256], big[2000], back[2100];
    snprintf(path, sizeof(path), "%s/out", dir);
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    FILE *f = fopen(path, "w+");
    CHECK(f != NULL);
    if (!f)
        return;
    CHECK(util_sys_printf(f, "<%s>%d", big, 42));
    CHECK(util_sys_flush(f));
    rewind(f);
    size_t n = fread(back, 1, sizeof(back), f);
    fclose(f);
    unlink(path);
    CHECK_EQ_U64(n, 1 + 1999 + 1 + 2);
    CHECK(back[0] == '<' && back[2000] == '>' && memcmp(back + 2001, "42", 2) == 0);

    /* A stream that cannot take the bytes (opened for reading only): the
     * flush says so. */
    write_file(path, "", 0);
    FILE *ro = fopen(path, "r");
    CHECK(ro != NULL);
    if (ro) {
        util_sys_printf(ro, "%s", big);
        CHECK(!util_sys_flush(ro));
        fclose(ro);
    }
    unlink(path);
}

/* What `printf 'Hello, TinyVMI!\n\000\001\177\200\377 ~' | hexdump -C`
 * printed on this machine, less its closing offset line (LibVMI prints
 * none). */
static const char hexdump_c[] =
    "00000000  48 65 6c 6c 6f 2c 20 54  69 6e 79 56 4d 49 21 0a  |Hello, TinyVMI!.|\n"
    "00000010  00 01 7f 80 ff 20 7e                              |..... ~|\n";

static void test_print_hex_is_hexdump_c(void)
{
    static const unsigned char bytes[] = "Hello, TinyVMI!\n\000\001\177\200\377 ~";
    char path[256], back[512];
    snprintf(path, sizeof(path), "%s/hex", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    int saved = dup(STDOUT_FILENO);
    CHECK(fd >= 0 && saved >= 0);
    if (fd < 0 || saved < 0)
        return;
    fflush(stdout);
    dup2(fd, STDOUT_FILENO);
    printf("before\n");
    vmi_print_hex(bytes, sizeof(bytes) - 1);
    printf("after\n");
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    ssize_t n = pread(fd, back, sizeof(back) - 1, 0);
    close(fd);
    unlink(path);
    back[n > 0 ? n : 0] = '\0';
    char want[512];
    snprintf(want, sizeof(want), "before\n%safter\n", hexdump_c); /* in order with printf */
    CHECK_STREQ(back, want);
}

/* Pages for vmi_mmap_guest: writable until sealed, readable after. */
static void test_pages(void)
{
    const char *why = NULL;
    unsigned char *p = util_sys_page_new(&why);
    CHECK(p != NULL);
    if (!p)
        return;
    memset(p, 0xa5, UTIL_SYS_PAGE);
    util_sys_page_seal(p);
    CHECK(p[0] == 0xa5 && p[UTIL_SYS_PAGE - 1] == 0xa5);
    util_sys_page_free(p);
}

/* Big buffers: writable end to end, 64-byte aligned, NULL when too big,
 * and (the point of them) handed back to the host on free even after a
 * large malloc'd block was freed, which raises glibc's mmap threshold so
 * that a malloc of the same size would stay in the heap. */
static void test_big_buffers(void)
{
    /* volatile: the compiler may not drop the pair.  Threshold now 8 MiB,
     * so a 4 MiB malloc would come from the heap. */
    void *volatile large = malloc(8u << 20);
    free(large);
    size_t n = 4u << 20;
    unsigned char *p = util_sys_big_new(n);
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK(((uintptr_t)p & 63) == 0);
    memset(p, 0x5a, n);
    CHECK(p[0] == 0x5a && p[n - 1] == 0x5a);
    uintptr_t page = ((uintptr_t)p + n / 2) & ~(uintptr_t)(UTIL_SYS_PAGE - 1);
    unsigned char vec;
    CHECK(mincore((void *)page, UTIL_SYS_PAGE, &vec) == 0);
    util_sys_big_free(p);
    /* Unmapped now: mincore says ENOMEM for an address with no mapping. */
    errno = 0;
    CHECK(mincore((void *)page, UTIL_SYS_PAGE, &vec) == -1 && errno == ENOMEM);
    CHECK(util_sys_big_new(SIZE_MAX) == NULL);
    CHECK(util_sys_big_new(SIZE_MAX - 100) == NULL);
    util_sys_big_free(NULL);
}

/* The lock: a thread that asks for it while it is held waits until it is
 * released.  The main thread holds it for 100 ms while the second thread
 * asks; a lock that lets it through shows at once. */
static atomic_int lock_stage;

static void *take_lock(void *unused)
{
    (void)unused;
    atomic_store(&lock_stage, 1);
    util_sys_lock();
    atomic_store(&lock_stage, 2);
    util_sys_unlock();
    return NULL;
}

static void test_lock_excludes(void)
{
    pthread_t t;
    util_sys_lock();
    CHECK(pthread_create(&t, NULL, take_lock, NULL) == 0);
    while (atomic_load(&lock_stage) == 0)
        sched_yield();
    struct timespec pause = {0, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
    CHECK(atomic_load(&lock_stage) == 1); /* still waiting */
    util_sys_unlock();
    pthread_join(t, NULL);
    CHECK(atomic_load(&lock_stage) == 2);
    /* Free again: the same thread takes and releases it twice in a row. */
    util_sys_lock();
    util_sys_unlock();
    util_sys_lock();
    util_sys_unlock();
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    TEST_RUN(test_load_outcomes);
    TEST_RUN(test_open_read_close);
    TEST_RUN(test_printf_to_stream);
    TEST_RUN(test_print_hex_is_hexdump_c);
    TEST_RUN(test_pages);
    TEST_RUN(test_big_buffers);
    TEST_RUN(test_lock_excludes);
    rmdir(dir);
    TEST_DONE();
}
