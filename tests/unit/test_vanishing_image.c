/*
 * test_vanishing_image - a memory image truncated while TinyVMI has it
 * mapped: reads fail with a reason instead of the process dying of SIGBUS,
 * and a SIGBUS that is not ours still kills as it would without TinyVMI.
 * Both ways the file driver copies are checked: pread (the default for
 * short jobs), which comes up short, and the mapping (image_read = map),
 * where the lost pages fault and the core's guard catches the SIGBUS.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libvmi/libvmi.h>
#include "test.h"

#define IMG_SIZE (4u << 20)

static char path[64];

static void make_image(void)
{
    unsigned char *img = calloc(1, IMG_SIZE);
    memset(img + 0x200000, 'A', 0x1000);
    strcpy(path, "/tmp/tvmi-vanish-XXXXXX");
    int fd = mkstemp(path);
    CHECK(fd >= 0 && write(fd, img, IMG_SIZE) == IMG_SIZE);
    close(fd);
    free(img);
}

static vmi_instance_t open_image(const char *config)
{
    vmi_instance_t vmi = NULL;
    if (vmi_init_complete(&vmi, path, VMI_INIT_DOMAINNAME, NULL, VMI_CONFIG_STRING,
                          (void *)config, NULL) != VMI_SUCCESS)
        fprintf(stderr, "  init: %s\n", tvmi_init_errmsg());
    return vmi;
}

/* config: how the instance reads; why: what its reason must say. */
static void truncated(const char *config, const char *why)
{
    unsigned char buf[16];
    vmi_instance_t vmi;

    make_image();
    vmi = open_image(config);
    CHECK(vmi != NULL);
    if (!vmi)
        return;
    CHECK(vmi_read_pa(vmi, 0x200000, sizeof(buf), buf, NULL) == VMI_SUCCESS);
    CHECK(buf[0] == 'A');
    CHECK(truncate(path, 0x100000) == 0); /* 1 MiB left of 4 */
    CHECK(vmi_read_pa(vmi, 0x200000, sizeof(buf), buf, NULL) == VMI_FAILURE);
    CHECK(strncmp(tvmi_errmsg(vmi), "vmi_read_pa: ", 13) == 0);
    CHECK(strstr(tvmi_errmsg(vmi), why) != NULL);
    CHECK(strstr(tvmi_errmsg(vmi), path) != NULL);
    /* The instance goes on: what is left still reads, and so do failures. */
    CHECK(vmi_read_pa(vmi, 0x1000, sizeof(buf), buf, NULL) == VMI_SUCCESS);
    char *s = vmi_read_str_pa(vmi, 0x300000);
    CHECK(s == NULL);
    CHECK(strncmp(tvmi_errmsg(vmi), "vmi_read_str_pa: ", 17) == 0);
    CHECK(strstr(tvmi_errmsg(vmi), why) != NULL);
    vmi_print_hex_pa(vmi, 0x3ff000, 16); /* void: must simply return */
    CHECK(strstr(tvmi_errmsg(vmi), why) != NULL);
    vmi_destroy(vmi);
    unlink(path);
}

static void test_truncated_pread(void)
{
    truncated("ostype = none; pagemode = none;", "shrank after it was opened");
}

static void test_truncated_while_mapped(void)
{
    truncated("ostype = none; pagemode = none; image_read = map;",
              "guest memory vanished under the read");
}

/* A SIGBUS outside any TinyVMI call is the program's own: TinyVMI's handler
 * must not swallow it. */
static void test_foreign_sigbus_still_kills(void)
{
    int status = 0;
    pid_t pid;

    make_image();
    pid = fork();
    if (pid == 0) {
        vmi_instance_t vmi = open_image("ostype = none; pagemode = none;"); /* installs the handler */
        int fd = open(path, O_RDONLY);
        volatile unsigned char *m = mmap(NULL, IMG_SIZE, PROT_READ, MAP_SHARED, fd, 0);
        if (!vmi || m == MAP_FAILED || truncate(path, 0) != 0)
            _exit(3);
        (void)m[0x200000]; /* the program's own fault */
        _exit(0);
    }
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    /* Killed by the signal; under AddressSanitizer, whose own handler
     * reports it, aborted with an error instead.  Never on to exit(0). */
    CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS) ||
          (WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 3));
    unlink(path);
}

int main(void)
{
    TEST_RUN(test_truncated_pread);
    TEST_RUN(test_truncated_while_mapped);
    TEST_RUN(test_foreign_sigbus_still_kills);
    TEST_DONE();
}
