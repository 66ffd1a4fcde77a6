/*
 * test_bytes_utf.c - the little-endian loads and the UTF-16LE -> UTF-8
 * conversion every layer shares (src/util/bytes.h, src/util/utf.c).
 */
#include "test.h"

#include "util/bytes.h"
#include "util/utf.h"

static void test_le_loads(void)
{
    const uint8_t b[9] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09 };
    CHECK_EQ_U64(util_le16(b), 0x0201);
    CHECK_EQ_U64(util_le32(b + 1), 0x05040302); /* unaligned */
    CHECK_EQ_U64(util_le64(b), 0x0807060504030201ULL);
    CHECK_EQ_U64(util_le(b, 1), 0x01);
    CHECK_EQ_U64(util_le(b, 3), 0x030201);
    CHECK_EQ_U64(util_le(b, 4), 0x04030201);
    CHECK_EQ_U64(util_le(b + 1, 8), 0x0908070605040302ULL);
    CHECK_EQ_U64(util_le(b, 0), 0);
}

static void test_le_stores(void)
{
    uint8_t b[8] = { 0 };
    util_put_le64(b, 0x1122334455667788ULL);
    CHECK(b[0] == 0x88 && b[7] == 0x11);
    util_put_le32(b, 0xaabbccdd);
    CHECK(b[0] == 0xdd && b[3] == 0xaa && b[4] == 0x44);
    util_put_le(b, 0x0102, 2);
    CHECK(b[0] == 0x02 && b[1] == 0x01 && b[2] == 0xbb);
}

static void test_utf16_plain_and_multibyte(void)
{
    /* "Aé€😀": 1, 2, 3 and 4 UTF-8 bytes; the last one a surrogate pair. */
    const uint8_t in[] = { 'A', 0, 0xe9, 0, 0xac, 0x20, 0x3d, 0xd8, 0x00, 0xde };
    char out[32];
    size_t n = util_utf16le_to_utf8(in, sizeof(in), out, sizeof(out));
    CHECK_EQ_U64(n, 10);
    CHECK_STREQ(out, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
}

static void test_utf16_hostile(void)
{
    char out[32];
    /* A lone high surrogate, a lone low one, an embedded NUL: each U+FFFD,
     * and the string goes on past them. */
    const uint8_t in[] = { 0x00, 0xd8, 'x', 0, 0x00, 0xdc, 0, 0, 'y', 0 };
    size_t n = util_utf16le_to_utf8(in, sizeof(in), out, sizeof(out));
    CHECK_STREQ(out, "\xef\xbf\xbdx\xef\xbf\xbd\xef\xbf\xbdy");
    CHECK_EQ_U64(n, 11);
    /* An odd trailing byte is ignored. */
    const uint8_t odd[] = { 'a', 0, 'b' };
    CHECK_EQ_U64(util_utf16le_to_utf8(odd, sizeof(odd), out, sizeof(out)), 1);
    CHECK_STREQ(out, "a");
    /* The output is cut at the last whole character that fits. */
    const uint8_t euro[] = { 'a', 0, 0xac, 0x20 };
    char small[4];
    CHECK_EQ_U64(util_utf16le_to_utf8(euro, sizeof(euro), small, sizeof(small)), 1);
    CHECK_STREQ(small, "a");
    CHECK_EQ_U64(util_utf16le_to_utf8(euro, sizeof(euro), out, 1), 0);
    CHECK_STREQ(out, "");
}

int main(void)
{
    TEST_RUN(test_le_loads);
    TEST_RUN(test_le_stores);
    TEST_RUN(test_utf16_plain_and_multibyte);
    TEST_RUN(test_utf16_hostile);
    TEST_DONE();
}
