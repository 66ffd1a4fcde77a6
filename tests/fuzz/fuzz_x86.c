/*
 * fuzz_x86.c - libFuzzer harness: page tables in guest-physical memory: the four walkers, the root check and the root scan (arch/x86_*.c).
 *
 * The work is hostile_x86() in tests/unit/hostile.h, which
 * test_hostile_inputs.c also runs; a failure without a reason aborts, so
 * it is reported like a crash.  Built only by `make fuzz` (clang).
 */
#include "hostile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (hostile_x86(data, size) == HOSTILE_NO_REASON)
        hostile_die("a call failed without a reason");
    return 0;
}
