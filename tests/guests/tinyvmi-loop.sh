#!/bin/sh
# /bin/tinyvmi-loop inside a TinyVMI test guest: a long-lived busybox shell
# process with a recognisable name (comm "tinyvmi-loop"), arguments and
# environment, for the process-listing tests.  Its child gets its own mark
# so the tests can tell parent and child apart.  Must never exit.
while :; do
    TINYVMI_MARK=tinyvmi-loop-child sleep 3600
done
