/*
 * test_strutil.c - the string helpers: a configuration number parses to
 * exactly what it says or not at all; copies always terminate.
 */
#include "test.h"

#include "util/strutil.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Parses, and the value is v. */
static bool parses_to(const char *s, uint64_t v)
{
    uint64_t out = 0xdeadbeef;
    return util_parse_u64(s, &out) && out == v;
}

/* Refused, and *out left alone. */
static bool refused(const char *s)
{
    uint64_t out = 0xdeadbeef;
    return !util_parse_u64(s, &out) && out == 0xdeadbeef;
}

static void test_parse_u64_accepts(void)
{
    CHECK(parses_to("0", 0));
    CHECK(parses_to("00", 0));
    CHECK(parses_to("42", 42));
    CHECK(parses_to("  42 ", 42));
    CHECK(parses_to("\t42\n", 42));
    CHECK(parses_to("0x0", 0));
    CHECK(parses_to("0x1f", 0x1f));
    CHECK(parses_to("0X1F", 0x1f));
    CHECK(parses_to("0xAbCdEf", 0xabcdef));
    CHECK(parses_to("0755", 0755));
    CHECK(parses_to("010", 8));
    CHECK(parses_to("0xb48", 0xb48));          /* a libvmi.conf offset */
    CHECK(parses_to("0xffffffff82a0c940", UINT64_C(0xffffffff82a0c940)));
    CHECK(parses_to("0xffffffffffffffff", UINT64_MAX));
    CHECK(parses_to("0x00000000000000000001", 1)); /* leading zeros are not overflow */
    CHECK(parses_to("18446744073709551615", UINT64_MAX));
    CHECK(parses_to("01777777777777777777777", UINT64_MAX));
    CHECK(util_parse_u64("7", NULL)); /* out may be NULL: a validity check */
}

/* util_scan_decimal stops at the first non-digit; v is the number and
 * rest what follows it. */
static bool scans_to(const char *s, uint64_t v, const char *rest)
{
    uint64_t out = 0xdeadbeef;
    const char *end = util_scan_decimal(s, &out);
    return end && out == v && strcmp(end, rest) == 0;
}

static bool scan_refused(const char *s)
{
    uint64_t out = 0xdeadbeef;
    return !util_scan_decimal(s, &out) && out == 0xdeadbeef;
}

static void test_scan_decimal(void)
{
    CHECK(scans_to("3]", 3, "]"));
    CHECK(scans_to("12.Base", 12, ".Base"));
    CHECK(scans_to("0", 0, ""));
    CHECK(scans_to("007x", 7, "x"));            /* decimal, never octal */
    CHECK(scans_to("18446744073709551615]", UINT64_MAX, "]"));
    CHECK(scan_refused(NULL));
    CHECK(scan_refused(""));
    CHECK(scan_refused("]"));
    CHECK(scan_refused(" 1"));                  /* strtoul skips the space */
    CHECK(scan_refused("-1"));                  /* and takes the sign */
    CHECK(scan_refused("+1"));
    CHECK(scan_refused("18446744073709551616"));
    CHECK(scan_refused("99999999999999999999]"));
}

static void test_parse_u64_rejects(void)
{
    CHECK(refused(NULL));
    CHECK(refused(""));
    CHECK(refused("   "));
    CHECK(refused("0x"));
    CHECK(refused("0x "));
    CHECK(refused(" 0X"));
    CHECK(refused("12abc"));
    CHECK(refused("12 3"));
    CHECK(refused("0x12g"));
    CHECK(refused("08"));   /* 8 is no octal digit */
    CHECK(refused("09"));
    CHECK(refused("-1"));
    CHECK(refused("+1"));
    CHECK(refused("x10"));
    CHECK(refused("abc"));
    CHECK(refused("0x10000000000000000"));
    CHECK(refused("0x1ffffffffffffffff"));
    CHECK(refused("18446744073709551616"));
    CHECK(refused("99999999999999999999"));
    CHECK(refused("02000000000000000000000"));
}

static void test_strdup(void)
{
    char *d = util_strdup("linux_tasks");

    CHECK_STREQ(d, "linux_tasks");
    free(d);
    d = util_strdup("");
    CHECK_STREQ(d, "");
    free(d);
    CHECK(util_strdup(NULL) == NULL);
}

static void test_strlcpy(void)
{
    char buf[8];

    memset(buf, 'x', sizeof(buf));
    CHECK_EQ_U64(util_strlcpy(buf, "abc", sizeof(buf)), 3);
    CHECK_STREQ(buf, "abc");
    /* Truncation: always terminated, return value says how long it was. */
    memset(buf, 'x', sizeof(buf));
    CHECK_EQ_U64(util_strlcpy(buf, "swapper/0 extra", sizeof(buf)), 15);
    CHECK_STREQ(buf, "swapper");
    CHECK_EQ_U64(util_strlcpy(buf, "1234567", sizeof(buf)), 7); /* exactly fits */
    CHECK_STREQ(buf, "1234567");
    CHECK_EQ_U64(util_strlcpy(buf, "12345678", sizeof(buf)), 8);
    CHECK_STREQ(buf, "1234567");
    CHECK_EQ_U64(util_strlcpy(buf, "", sizeof(buf)), 0);
    CHECK_STREQ(buf, "");
    /* size 1: only the terminator; size 0: nothing written at all. */
    buf[0] = 'x';
    CHECK_EQ_U64(util_strlcpy(buf, "abc", 1), 3);
    CHECK_EQ_U64(buf[0], 0);
    buf[0] = 'x';
    CHECK_EQ_U64(util_strlcpy(buf, "abc", 0), 3);
    CHECK_EQ_U64(buf[0], 'x');
    CHECK_EQ_U64(util_strlcpy(buf, NULL, sizeof(buf)), 0);
    CHECK_STREQ(buf, "");
}

static void test_trim(void)
{
    char a[] = "  \tkvm \r\n";
    char b[] = "none";
    char c[] = "   ";
    char d[] = "";
    char e[] = " a b ";

    CHECK(util_str_trim(a) == a);
    CHECK_STREQ(a, "kvm");
    CHECK_STREQ(util_str_trim(b), "none");
    CHECK_STREQ(util_str_trim(c), "");
    CHECK_STREQ(util_str_trim(d), "");
    CHECK_STREQ(util_str_trim(e), "a b");
    CHECK(util_str_trim(NULL) == NULL);
}

static void test_streq_nocase(void)
{
    CHECK(util_streq_nocase("Linux", "linux"));
    CHECK(util_streq_nocase("WINDOWS", "windows"));
    CHECK(util_streq_nocase("", ""));
    CHECK(!util_streq_nocase("linux", "linu"));
    CHECK(!util_streq_nocase("linu", "linux"));
    CHECK(!util_streq_nocase("linux", "linuy"));
    CHECK(!util_streq_nocase("[", "{")); /* '[' + 32 == '{': only letters fold */
    CHECK(util_streq_nocase(NULL, NULL));
    CHECK(!util_streq_nocase(NULL, ""));
    CHECK(!util_streq_nocase("", NULL));
}

/* The replacements for strncasecmp(s, p, strlen(p)) == 0 and isspace:
 * the C locale's answers, checked against the C library's for every byte. */
static void test_starts_nocase_and_space(void)
{
    CHECK(util_starts_nocase("utf-16le", "UTF-16"));
    CHECK(util_starts_nocase("UTF-16", "UTF-16"));
    CHECK(util_starts_nocase("anything", ""));
    CHECK(!util_starts_nocase("UTF-1", "UTF-16"));
    CHECK(!util_starts_nocase("UTF-8", "UTF-16"));
    CHECK(!util_starts_nocase("[", "{"));
    CHECK(!util_starts_nocase(NULL, "a"));
    CHECK(!util_starts_nocase("a", NULL));
    int agree = 0;
    for (int c = 0; c < 256; c++)
        agree += util_is_space((char)c) == (isspace(c) != 0);
    CHECK_EQ_U64(agree, 256);
}

/* util_memfind agrees with memmem on every position, including patterns
 * that start with zeros (how kallsyms and ksymtab patterns look). */
static void test_memfind(void)
{
    unsigned char hay[300];
    static const unsigned char pats[][6] = {
        { 0, 'a', 'b', 0, 0, 0 }, { 'x', 0, 'y', 0, 0, 0 }, { 0, 0, 0, 0, 0, 0 },
        { 0, 0, 0, 0, 0, 0 },
    };
    /* All zeros twice: a short run, and one long enough to be missing. */
    static const size_t plens[] = { 4, 3, 2, 6 };
    unsigned seed = 12345;
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof(hay); i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = (seed >> 16) % 8;
            hay[i] = r < 4 ? 0 : r == 4 ? 'a' : r == 5 ? 'b' : r == 6 ? 'x' : 'y';
        }
        for (size_t k = 0; k < 4; k++)
            for (size_t off = 0; off < 40; off++) {
                size_t len = sizeof(hay) - off * 7;
                CHECK(util_memfind(hay + off, len, pats[k], plens[k]) ==
                      memmem(hay + off, len, pats[k], plens[k]));
            }
    }
    CHECK(util_memfind("abc", 3, "abcd", 4) == NULL);
    CHECK(util_memfind("abc", 3, "", 0) != NULL);
    CHECK(util_memfind("\0\0ab", 4, "\0ab", 3) != NULL);
}

static void test_hex_u64(void)
{
    uint64_t v = 7;
    CHECK(util_hex_u64("ffffffff81000000", 16, &v) && v == 0xffffffff81000000ULL);
    CHECK(util_hex_u64("0A", 2, &v) && v == 10);
    CHECK(util_hex_u64("1f2", 1, &v) && v == 1);       /* n bytes only */
    v = 7;
    CHECK(!util_hex_u64("", 0, &v) && v == 7);
    CHECK(!util_hex_u64("12345678123456789", 17, &v) && v == 7); /* 17 digits */
    CHECK(!util_hex_u64("12g4", 4, &v) && v == 7);
    CHECK(!util_hex_u64("-1", 2, &v) && v == 7);
}

int main(void)
{
    TEST_RUN(test_hex_u64);
    TEST_RUN(test_parse_u64_accepts);
    TEST_RUN(test_parse_u64_rejects);
    TEST_RUN(test_scan_decimal);
    TEST_RUN(test_strdup);
    TEST_RUN(test_strlcpy);
    TEST_RUN(test_trim);
    TEST_RUN(test_streq_nocase);
    TEST_RUN(test_starts_nocase_and_space);
    TEST_RUN(test_memfind);
    TEST_DONE();
}
