# The demo against the kernel, and its capture checked by tshark (label interop; exit 77 = skip).
foreach(mode demo tshark)
  add_test(NAME interop_demo_${mode}
           COMMAND ${CMAKE_SOURCE_DIR}/tests/interop/demo_test.sh $<TARGET_FILE:taptcp> ${mode})
  set_tests_properties(interop_demo_${mode} PROPERTIES LABELS interop SKIP_RETURN_CODE 77
                       TIMEOUT 60 RUN_SERIAL TRUE)
endforeach()
