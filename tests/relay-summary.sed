# Rewrites a test program's closing line ("N passed, N failed[, N skipped]",
# with or without a "layer:" word before it) as "-- N ok, N failed ..." when a
# runner relays that program's output.  Why: CI reads a closing line in the
# plain "N passed, N failed" form as the whole run's count, and a script that
# skips itself entirely ("0 passed, 0 failed, 1 skipped") then reads as a run
# that executed no test.  After this rewrite the only such line in the output
# of scripts/test.sh is its own last one, the total.  The runners still parse
# the original lines; only what they print is rewritten.
s/^(([A-Za-z0-9_.-]+: )?[0-9]+) passed, ([0-9]+ failed.*)$/-- \1 ok, \3/
