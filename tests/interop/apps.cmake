# `taptcp serve` and `taptcp connect` against the Linux kernel on a TAP device, each test in a
# namespace of its own (tests/interop/apps_lib.sh), label interop, exit 77 = skipped with the
# reason. Every app mode with the packets it must produce and the kernel's `ss` state after each
# close order; HTTP with curl; 1000 sequential and 200 concurrent connections both ways; every
# capture dissected by tshark (nothing malformed, no bad checksum). Each takes 2-5 s.
set(apps_interop ${CMAKE_SOURCE_DIR}/tests/interop)
foreach(mode echo discard hold noaccept close linger0 unread-close write-close shutdown-wr)
  add_test(NAME interop_apps_serve_${mode}
           COMMAND ${apps_interop}/apps_serve_test.sh $<TARGET_FILE:taptcp> ${mode})
  list(APPEND apps_interop_tests interop_apps_serve_${mode})
endforeach()
add_test(NAME interop_apps_http COMMAND ${apps_interop}/apps_http_test.sh $<TARGET_FILE:taptcp>)
list(APPEND apps_interop_tests interop_apps_http)
foreach(mode client-first server-first linger0 refused)
  add_test(NAME interop_apps_connect_${mode}
           COMMAND ${apps_interop}/apps_connect_test.sh $<TARGET_FILE:taptcp> ${mode})
  list(APPEND apps_interop_tests interop_apps_connect_${mode})
endforeach()
foreach(mode serve-seq serve-par connect-seq connect-par)
  add_test(NAME interop_apps_load_${mode}
           COMMAND ${apps_interop}/apps_load_test.sh $<TARGET_FILE:taptcp> ${mode})
  list(APPEND apps_interop_tests interop_apps_load_${mode})
endforeach()
set_tests_properties(${apps_interop_tests} PROPERTIES LABELS interop SKIP_RETURN_CODE 77
                     TIMEOUT 90 RUN_SERIAL TRUE)
# Their flag errors: one line naming the flag and its values, exit 2; no device touched, so no
# root needed (label unit).
add_test(NAME apps_flags COMMAND ${apps_interop}/apps_flags_test.sh $<TARGET_FILE:taptcp>)
set_tests_properties(apps_flags PROPERTIES LABELS unit TIMEOUT 30)
