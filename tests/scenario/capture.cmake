taptcp_test(NAME capture_scenario_test
  SOURCES ${CMAKE_SOURCE_DIR}/tests/scenario/capture_scenario_test.cc
  LIBS taptcp_sim taptcp_capture LABELS scenario)
