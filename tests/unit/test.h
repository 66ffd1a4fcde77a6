/*
 * test.h - the smallest test harness that does the job.
 *
 * A test file defines test functions, registers them in main() with
 * TEST_RUN(fn), and ends with TEST_DONE().  CHECK(cond) records a failure
 * with file:line and carries on, so one run shows every broken check.  The
 * closing line is "N passed, N failed", which CI counts.
 */
#ifndef TINYVMI_TEST_H
#define TINYVMI_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failed_checks;
static int test_checks_made; /* every CHECK counts, passing or not */
static const char *test_skip_why; /* set by SKIP() inside a test */
static int test_skipped;
/* Inside a test: this guest or machine lacks what the test needs; say why
 * and count the test as skipped (checks made before still count). */
#define SKIP(why)              \
    do {                       \
        test_skip_why = (why); \
        return;                \
    } while (0)
static int test_passed, test_failed;
static const char *test_current = "";

#define CHECK(cond)                                                        \
    do {                                                                   \
        test_checks_made++;                                               \
        if (!(cond)) {                                                     \
            fprintf(stderr, "  FAIL %s:%d in %s: %s\n", __FILE__, __LINE__, \
                    test_current, #cond);                                  \
            test_failed_checks++;                                          \
        }                                                                  \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                  \
    do {                                                                    \
        test_checks_made++;                                               \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                    \
        if (a_ != b_) {                                                     \
            fprintf(stderr, "  FAIL %s:%d in %s: %s == %s (0x%" PRIx64      \
                    " != 0x%" PRIx64 ")\n", __FILE__, __LINE__, test_current, \
                    #a, #b, a_, b_);                                        \
            test_failed_checks++;                                           \
        }                                                                   \
    } while (0)

#define CHECK_STREQ(a, b)                                                   \
    do {                                                                    \
        test_checks_made++;                                               \
        const char *a_ = (a), *b_ = (b);                                    \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                            \
            fprintf(stderr, "  FAIL %s:%d in %s: %s == %s (\"%s\" != \"%s\")\n", \
                    __FILE__, __LINE__, test_current, #a, #b,               \
                    a_ ? a_ : "(null)", b_ ? b_ : "(null)");                \
            test_failed_checks++;                                           \
        }                                                                   \
    } while (0)

/* For helpers that report their own failure message: count one check and,
 * when ok is false, one failure. */
#define CHECK_QUIET(ok) (test_checks_made++, (ok) ? 1 : (test_failed_checks++, 0))

/* A test that made no check at all has tested nothing: it fails. */
#define TEST_RUN(fn)                                       \
    do {                                                   \
        int before_ = test_failed_checks;                  \
        int made_ = test_checks_made;                      \
        test_current = #fn;                                \
        test_skip_why = NULL;                              \
        fn();                                              \
        if (test_skip_why && test_failed_checks == before_) { \
            test_skipped++;                                \
            printf("skip %s: %s\n", #fn, test_skip_why);  \
            break;                                         \
        }                                                  \
        if (test_checks_made == made_) {                   \
            fprintf(stderr, "  FAIL %s: made no checks\n", #fn); \
            test_failed_checks++;                          \
        }                                                  \
        if (test_failed_checks == before_) {               \
            test_passed++;                                 \
            printf("ok   %s\n", #fn);                      \
        } else {                                           \
            test_failed++;                                 \
            printf("FAIL %s\n", #fn);                      \
        }                                                  \
    } while (0)

/* A test that cannot run here says so and why; it counts as skipped. */
#define TEST_SKIP(fn, why)                                 \
    do {                                                   \
        test_skipped++;                                    \
        printf("skip %s: %s\n", #fn, why);                 \
    } while (0)

/* buf = tests/data/<sub>, found from the calling test's own source path,
 * so a test finds its data wherever it runs from. */
#define TEST_DATA_DIR(buf, sub) test_data_dir_((buf), sizeof(buf), __FILE__, (sub))
static __attribute__((unused)) void test_data_dir_(char *buf, size_t size, const char *src,
                                                   const char *sub)
{
    const char *slash = strrchr(src, '/');
    snprintf(buf, size, "%.*s/../data/%s", slash ? (int)(slash - src) : 1, slash ? src : ".",
             sub);
}

#define TEST_DONE()                                                        \
    do {                                                                   \
        printf("%d passed, %d failed, %d skipped\n", test_passed,          \
               test_failed, test_skipped);                                 \
        return test_failed ? 1 : 0;                                        \
    } while (0)

#endif
