# apps/ss_format + control_server: what taptcp ss and taptcp nstat print and read.
taptcp_test(NAME inspect_test
  SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/inspect_test.cc
  LIBS taptcp_inspect taptcp_sim
  LABELS unit)
