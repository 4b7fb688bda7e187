# TAP offloads (IFF_VNET_HDR): 10 MiB echoed by taptcp over TAP with TSO and checksum offload both
# ways, SHA-256 compared; the capture checked for wire-true frames (label interop; 77 = skip).
add_test(NAME interop_tap_offload
         COMMAND ${CMAKE_SOURCE_DIR}/tests/interop/tap_offload_test.sh $<TARGET_FILE:taptcp>)
set_tests_properties(interop_tap_offload PROPERTIES LABELS interop SKIP_RETURN_CODE 77
                     TIMEOUT 200 RUN_SERIAL TRUE)
