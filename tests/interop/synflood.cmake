# `taptcp synflood` (20000 spoofed SYNs from TEST-NET-2) against `taptcp serve --backlog 16` while
# the kernel's client echoes: the SYN queue, SYN cookies, `ss -l` and `nstat` (label interop;
# exit 77 = skipped without root or /dev/net/tun). About 3 s.
add_test(NAME interop_synflood
         COMMAND ${CMAKE_SOURCE_DIR}/tests/interop/synflood_test.sh $<TARGET_FILE:taptcp>)
set_tests_properties(interop_synflood PROPERTIES LABELS interop SKIP_RETURN_CODE 77 TIMEOUT 90
                     RUN_SERIAL TRUE)
