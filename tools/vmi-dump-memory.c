/*
 * vmi-dump-memory - copy guest-physical memory into a raw image file
 * (file offset = physical address).  Holes between RAM ranges and all-zero
 * pages become file holes, so a 4 GiB guest with 300 MiB in use costs 300
 * MiB of disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/tool.h"

static const char usage[] =
    "usage: vmi-dump-memory TARGET OUTPUT [options]\n"
    "Write the guest's physical memory to OUTPUT as a raw image (file offset =\n"
    "physical address).  Gaps and zero pages are left as holes (a sparse file).\n"
    "\n"
    "  -s, --start PA   first physical address (default 0)\n"
    "  -e, --end PA     stop before this physical address (default: end of RAM)\n"
    "  -q, --quiet      no progress bar (it is shown only when stderr is a terminal)\n"
    "  -c CONFIG        a config file, or 'key = value; ...' (libvmi.conf syntax)\n"
    "  -h, --help       this text\n";

#define CHUNK (1u << 20)

static void progress(uint64_t done, uint64_t total, time_t start)
{
    int width = 40, fill = total ? (int)(done * width / total) : width;
    double secs = difftime(time(NULL), start);
    fprintf(stderr, "\r[%.*s%*s] %5.1f%% %" PRIu64 " MiB  %.0f MiB/s", fill,
            "########################################", width - fill, "",
            total ? 100.0 * (double)done / (double)total : 100.0, done >> 20,
            secs > 0 ? (double)(done >> 20) / secs : 0.0);
    fflush(stderr);
}

static bool all_zero(const unsigned char *p, size_t n)
{
    static const unsigned char zero[4096];
    for (size_t i = 0; i < n; i += sizeof(zero)) {
        size_t k = n - i < sizeof(zero) ? n - i : sizeof(zero);
        if (memcmp(p + i, zero, k))
            return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "start", required_argument, NULL, 's' }, { "end", required_argument, NULL, 'e' },
        { "quiet", no_argument, NULL, 'q' },       { "config", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },        { NULL, 0, NULL, 0 },
    };
    const char *prog = "vmi-dump-memory";
    tool_opts_t o = { 0 };
    uint64_t start = 0, end = UINT64_MAX, total = 0, done = 0, rs, re;
    bool quiet = false, show;
    vmi_instance_t vmi;
    unsigned char *buf;
    int c, fd, rc = 0;
    time_t t0 = time(NULL);

    while ((c = getopt_long(argc, argv, "s:e:qc:h", longopts, NULL)) != -1) {
        switch (c) {
        case 's': if (!tool_parse_addr(prog, "start", optarg, &start)) return 2; break;
        case 'e': if (!tool_parse_addr(prog, "end", optarg, &end)) return 2; break;
        case 'q': quiet = true; break;
        case 'c': o.config = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (argc - optind != 2) {
        fputs(usage, stderr);
        return 2;
    }
    if (start >= end)
        return tool_fail(prog, "start 0x%" PRIx64 " is not below end 0x%" PRIx64, start, end);
    if (!tool_open(prog, argv[optind], &o, false, &vmi))
        return 1;
    fd = open(argv[optind + 1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        vmi_destroy(vmi);
        return tool_fail(prog, "cannot create %s: %s", argv[optind + 1], strerror(errno));
    }
    buf = malloc(CHUNK);
    if (!buf) {
        close(fd);
        vmi_destroy(vmi);
        return tool_fail(prog, "out of memory");
    }
    for (size_t i = 0; tvmi_get_memory_range(vmi, i, &rs, &re) == VMI_SUCCESS; i++) {
        rs = rs < start ? start : rs;
        re = re > end ? end : re;
        if (rs < re)
            total += re - rs;
    }
    show = !quiet && isatty(2);
    for (size_t i = 0; rc == 0 && tvmi_get_memory_range(vmi, i, &rs, &re) == VMI_SUCCESS; i++) {
        rs = rs < start ? start : rs;
        re = re > end ? end : re;
        for (uint64_t pa = rs; pa < re && rc == 0; pa += CHUNK) {
            size_t n = re - pa < CHUNK ? (size_t)(re - pa) : CHUNK, got = 0;
            if (vmi_read_pa(vmi, pa, n, buf, &got) != VMI_SUCCESS) {
                rc = tool_fail(prog, "reading physical 0x%" PRIx64 ": %s", pa + got,
                               tvmi_errmsg(vmi));
                break;
            }
            for (size_t off = 0; off < n; off += 4096) {
                size_t k = n - off < 4096 ? n - off : 4096;
                if (all_zero(buf + off, k))
                    continue;
                if (pwrite(fd, buf + off, k, (off_t)(pa + off)) != (ssize_t)k) {
                    rc = tool_fail(prog, "writing %s: %s", argv[optind + 1], strerror(errno));
                    break;
                }
            }
            done += n;
            if (show)
                progress(done, total, t0);
        }
        /* The file is as long as the last byte of RAM, even if it is zero. */
        if (rc == 0 && re > rs && ftruncate(fd, (off_t)re) != 0)
            rc = tool_fail(prog, "extending %s: %s", argv[optind + 1], strerror(errno));
    }
    if (show)
        fputc('\n', stderr);
    if (close(fd) != 0 && rc == 0)
        rc = tool_fail(prog, "closing %s: %s", argv[optind + 1], strerror(errno));
    if (rc == 0 && !quiet)
        fprintf(stderr, "%s: wrote %" PRIu64 " bytes of RAM to %s\n", prog, done,
                argv[optind + 1]);
    free(buf);
    vmi_destroy(vmi);
    return rc;
}
