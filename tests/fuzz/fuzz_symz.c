/*
 * fuzz_symz.c - libFuzzer harness: the compact symbol table that embedded
 * entries carry (util/symz.c), opened and queried as the Linux layer does.
 *
 * The work is hostile_symz() in tests/unit/hostile.h, which
 * test_hostile_inputs.c also runs; a failure without a reason aborts, so
 * it is reported like a crash.  Built only by `make fuzz` (clang).
 */
#include "hostile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (hostile_symz(data, size) == HOSTILE_NO_REASON)
        hostile_die("a call failed without a reason");
    return 0;
}
