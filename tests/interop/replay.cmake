# pcaps/record-linux.sh run for real (the kernel in a namespace of its own, a python peer on a
# TAP device) and the fresh capture replayed into taptcp (label interop; exit 77 = skip).
add_test(NAME interop_replay_fresh_capture
         COMMAND ${CMAKE_SOURCE_DIR}/tests/interop/replay_fresh_test.sh $<TARGET_FILE:taptcp>
                 ${CMAKE_SOURCE_DIR}/pcaps/record-linux.sh active_open)
set_tests_properties(interop_replay_fresh_capture PROPERTIES LABELS interop SKIP_RETURN_CODE 77
                     TIMEOUT 180 RUN_SERIAL TRUE)
