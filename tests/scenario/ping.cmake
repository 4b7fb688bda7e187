taptcp_test(NAME ping_scenario_test
  SOURCES ${CMAKE_SOURCE_DIR}/tests/scenario/ping_scenario_test.cc
  LIBS taptcp_sim LABELS scenario)
