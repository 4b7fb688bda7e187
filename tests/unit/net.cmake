taptcp_test(NAME net_test
  SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/net_test.cc
  LIBS taptcp_stack LABELS unit)
taptcp_test(NAME knobs_test
  SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/sysctl_test.cc ${CMAKE_SOURCE_DIR}/tests/unit/mib_test.cc
          ${CMAKE_SOURCE_DIR}/tests/unit/trace_test.cc
  LIBS taptcp_stack LABELS unit)
