/*
 * tool.h - what every TinyVMI command-line tool shares: naming the target,
 * loading settings, opening the instance with a clear message, parsing
 * numbers, and printing JSON strings.
 *
 * Every tool takes its target first (a memory image path today; a Xen
 * domain or a QMP socket once those drivers exist), then its own arguments,
 * and `-c FILE` or `-c 'key = value; ...'` for settings in libvmi.conf
 * syntax.
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
} tool_opts_t;

/* Parse the options every tool shares (-c CONFIG, --json, -h/--help) for a
 * tool that takes nothing else, and check that exactly npos arguments
 * follow.  Returns the index of the first of them, or -1 after printing the
 * usage: *exit_code is then 0 (--help) or 2 (bad usage). */
int tool_args(int argc, char **argv, const char *usage, int npos, tool_opts_t *o,
              int *exit_code);

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
