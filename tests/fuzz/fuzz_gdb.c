/*
 * fuzz_gdb.c - libFuzzer harness: QEMU's gdbstub packets, stop replies and
 * register descriptions (driver/qemu_gdb.c).
 *
 * The work is hostile_gdb() in tests/unit/hostile.h, which
 * test_hostile_inputs.c also runs; a failure without a reason aborts, so
 * it is reported like a crash.  Built only by `make fuzz` (clang).
 */
#include "hostile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (hostile_gdb(data, size) == HOSTILE_NO_REASON)
        hostile_die("a call failed without a reason");
    return 0;
}
