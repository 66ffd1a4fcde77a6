/*
 * tool.h - what every TinyVMI command-line tool shares: naming the target,
 * loading settings, opening the instance with a clear message, parsing
 * numbers, and printing JSON strings.
 *
 * Every tool takes its target first (a memory image path, or a running
 * QEMU's QMP socket), then its own arguments, `-c FILE` or
 * `-c 'key = value; ...'` for settings in libvmi.conf syntax, and
 * `--socket PATH` when the target is a VM's name and PATH its QMP socket
 * (LibVMI's KVM tools take `<vmname> <socket>`; the tools without other
 * arguments take that form too).
 */
#ifndef TINYVMI_TOOL_H
#define TINYVMI_TOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <libvmi/libvmi.h>

/* Options every tool accepts; fill by tool_common_option(). */
typedef struct tool_opts {
    const char *config; /* -c: a file path or a config string */
    bool json;          /* --json */
    const char *socket; /* --socket: the QMP socket of a VM named by TARGET */
} tool_opts_t;

/* What every usage text says about TARGET. */
#define TOOL_TARGET_HELP                                                              \
    "  TARGET          a memory image (raw, QEMU ELF core, LiME, crash dump), or a\n" \
    "                  running QEMU's QMP socket (QEMU started with -qmp\n"          \
    "                  unix:PATH,server=on,wait=off and its RAM in a shared\n"       \
    "                  memory-backend-file), or a VM name with --socket\n"           \
    "      --socket PATH  the QMP socket of the VM TARGET names (LibVMI's\n"         \
    "                  <vmname> <socket>)\n"

/* The long option behind --socket, for tools that parse their own options
 * (its value in getopt_long is TOOL_OPT_SOCKET). */
#define TOOL_OPT_SOCKET 0x100
#define TOOL_LONGOPT_SOCKET { "socket", required_argument, NULL, TOOL_OPT_SOCKET }

/* Parse the options every tool shares (-c CONFIG, --json, --socket,
 * -h/--help) for a tool that takes nothing else, and check that exactly
 * npos arguments follow (npos 1 also takes LibVMI's `<vmname> <socket>`).  Returns the index of the first of them, or -1 after printing the
 * usage: *exit_code is then 0 (--help) or 2 (bad usage). */
int tool_args(int argc, char **argv, const char *usage, int npos, tool_opts_t *o,
              int *exit_code);

/* Stop a live target while a tool walks guest lists, so they hold still
 * (images are always still); tool_resume lets it run again. */
void tool_pause(vmi_instance_t vmi);
void tool_resume(vmi_instance_t vmi);

/* Open target with the tool's settings.  want_os: start the OS layer (a
 * failure to recognise the OS is then fatal with its reason).  Prints
 * "PROG: cannot open TARGET: REASON" and returns false on failure. */
bool tool_open(const char *prog, const char *target, const tool_opts_t *o, bool want_os,
               vmi_instance_t *vmi);

/* Parse an address or number (0x-hex, or decimal; bare hex digits with a-f
 * are taken as hex).  Prints a message naming what and returns false. */
bool tool_parse_addr(const char *prog, const char *what, const char *s, uint64_t *out);

/* Print s as a JSON string literal (quotes included, escapes applied). */
void tool_json_str(FILE *f, const char *s);

/* An n-byte (n <= 8) little-endian value from raw guest bytes.  Tools see
 * only the public API, so this is their one copy of the library's
 * util_le (src/util/bytes.h). */
static inline uint64_t tool_le(const void *p, unsigned n)
{
    const unsigned char *b = p;
    uint64_t v = 0;
    for (unsigned i = n < 8 ? n : 8; i-- > 0;)
        v = (v << 8) | b[i];
    return v;
}

/* "PROG: message" on stderr, then exit code 1 (for use as `return tool_fail(...)`). */
int tool_fail(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
