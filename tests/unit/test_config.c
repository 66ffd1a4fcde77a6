/*
 * test_config - the libvmi.conf reader: entries, bare bodies, quoting,
 * comments, matching an image path to an entry, and every syntax error
 * naming its line.
 */
#include "core/config.h"
#include "test.h"

static config_t *parse(const char *text, const char *want, bool *found, util_err_t *err)
{
    config_t *c = config_new();
    if (!config_parse(c, text, want, found, err)) {
        config_free(c);
        return NULL;
    }
    return c;
}

static void test_named_entries_pick_the_target(void)
{
    const char *text =
        "# LibVMI's usual file\n"
        "winxp {\n"
        "    ostype = \"Windows\";\n"
        "    win_tasks = 0x88;\n"
        "}\n"
        "debian-amd64 {\n"
        "    ostype = \"Linux\";\n"
        "    sysmap = \"/boot/System.map-6.1\";  # trailing comment\n"
        "    linux_tasks = 0x4e0;\n"
        "}\n";
    bool found;
    util_err_t err = { "" };
    config_t *c = parse(text, "/images/debian-amd64.elf", &found, &err);
    uint64_t v = 0;
    CHECK(c != NULL);
    CHECK(found);
    CHECK_STREQ(config_get(c, "ostype"), "Linux");
    CHECK_STREQ(config_get(c, "sysmap"), "/boot/System.map-6.1");
    CHECK(config_get_u64(c, "linux_tasks", &v, &err));
    CHECK_EQ_U64(v, 0x4e0);
    CHECK(config_get(c, "win_tasks") == NULL); /* the other entry's keys stay out */
    config_free(c);

    c = parse(text, "nothing-like-it", &found, &err);
    CHECK(c != NULL);
    CHECK(!found);
    CHECK_EQ_U64(config_count(c), 0);
    config_free(c);
}

static void test_bare_and_braced_strings(void)
{
    bool found;
    util_err_t err = { "" };
    config_t *c = parse("ostype = Linux; kpgd = 0x1000; pagemode = \"pae\"", NULL, &found, &err);
    CHECK(c && found);
    CHECK_STREQ(config_get(c, "ostype"), "Linux");
    CHECK_STREQ(config_get(c, "kpgd"), "0x1000");
    CHECK_STREQ(config_get(c, "pagemode"), "pae");
    config_free(c);

    c = parse("{ ostype = \"Windows\"; win_pid = 0x84; }", "anything", &found, &err);
    CHECK(c && found);
    CHECK_STREQ(config_get(c, "win_pid"), "0x84");
    config_free(c);

    c = parse("", NULL, &found, &err);
    CHECK(c != NULL);
    config_free(c);
}

static void test_entry_matching(void)
{
    CHECK(config_entry_matches("vm1", "vm1"));
    CHECK(config_entry_matches("ram", "/tmp/x/ram.raw"));
    CHECK(config_entry_matches("ram.raw", "/tmp/x/ram.raw"));
    CHECK(!config_entry_matches("ram", "/tmp/x/core.elf"));
    CHECK(!config_entry_matches("", "/tmp/x/.hidden"));
}

static void test_errors_name_the_line(void)
{
    static const struct { const char *text, *want; } bad[] = {
        { "a {\n  ostype = \"Linux\"\n  x = 1;\n}", "line 2" },   /* missing ';' */
        { "a {\n ostype = \"Linux;\n}", "line 2" },               /* unterminated string */
        { "a {\n ostype = Linux;\n", "missing '}'" },
        { "ostype Linux;", "expected '='" },
        { "a {\n  = 3;\n}", "line 2" },
        { "kpgd = ;", "no value" },
        { "a { x = 1; }\n}", "line 2" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bool found;
        util_err_t err = { "" };
        config_t *c = parse(bad[i].text, NULL, &found, &err);
        CHECK(c == NULL);
        if (!strstr(err.msg, bad[i].want))
            fprintf(stderr, "  case %zu: \"%s\" lacks \"%s\"\n", i, err.msg, bad[i].want);
        CHECK(strstr(err.msg, bad[i].want) != NULL);
        config_free(c);
    }
}

static void test_numbers(void)
{
    bool found;
    util_err_t err = { "" };
    uint64_t v;
    config_t *c = parse("a = 0x10; b = 16; c = 020; d = 12abc", NULL, &found, &err);
    CHECK(c != NULL);
    CHECK(config_get_u64(c, "a", &v, &err) && v == 16);
    CHECK(config_get_u64(c, "b", &v, &err) && v == 16);
    CHECK(config_get_u64(c, "c", &v, &err) && v == 16);
    CHECK(!config_get_u64(c, "d", &v, &err));
    CHECK(strstr(err.msg, "d") && strstr(err.msg, "not a number"));
    CHECK(!config_get_u64(c, "missing", &v, &err));
    config_free(c);
}

static void test_long_word_is_refused(void)
{
    size_t n = 10000;
    char *text = malloc(n + 16);
    bool found;
    util_err_t err = { "" };
    memcpy(text, "k = ", 4);
    memset(text + 4, 'x', n);
    text[n + 4] = '\0';
    CHECK(parse(text, NULL, &found, &err) == NULL);
    CHECK(strstr(err.msg, "longer than") != NULL);
    free(text);
}

/* A System.map compiled into a program: a long quoted value over many lines. */
static void test_long_quoted_value_spans_lines(void)
{
    size_t lines = 100000, n = 0;
    char *text = malloc(lines * 40 + 64);
    bool found;
    util_err_t err = { "" };
    n += (size_t)sprintf(text + n, "sysmap = \"");
    for (size_t i = 0; i < lines; i++)
        n += (size_t)sprintf(text + n, "ffffffff81%06zx T sym_%zu\n", i, i);
    size_t map_len = n - strlen("sysmap = \"");
    n += (size_t)sprintf(text + n, "\";\nostype = Linux;");
    size_t good_end = n;
    n += (size_t)sprintf(text + n, "\nbad = \"x");
    config_t *c = parse(text, NULL, &found, &err);
    CHECK(c == NULL); /* the last string never ends: the error names its line */
    CHECK(strstr(err.msg, "line 100003: unterminated") != NULL);
    text[good_end] = '\0'; /* drop the unterminated tail */
    c = parse(text, NULL, &found, &err);
    CHECK(c != NULL);
    if (c) {
        CHECK_EQ_U64(strlen(config_get(c, "sysmap")), map_len);
        CHECK_STREQ(config_get(c, "ostype"), "Linux");
    }
    config_free(c);
    free(text);
}

int main(void)
{
    TEST_RUN(test_named_entries_pick_the_target);
    TEST_RUN(test_bare_and_braced_strings);
    TEST_RUN(test_entry_matching);
    TEST_RUN(test_errors_name_the_line);
    TEST_RUN(test_numbers);
    TEST_RUN(test_long_word_is_refused);
    TEST_RUN(test_long_quoted_value_spans_lines);
    TEST_DONE();
}
