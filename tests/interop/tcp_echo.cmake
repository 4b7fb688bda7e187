# 10 MiB echoed between taptcp and the kernel over TAP, both roles (label interop; 77 = skip).
foreach(mode server client)
  add_test(NAME interop_tcp_echo_${mode}
           COMMAND ${CMAKE_SOURCE_DIR}/tests/interop/tcp_echo_test.sh $<TARGET_FILE:taptcp> ${mode})
  set_tests_properties(interop_tcp_echo_${mode} PROPERTIES LABELS interop SKIP_RETURN_CODE 77
                       TIMEOUT 200 RUN_SERIAL TRUE)
endforeach()
