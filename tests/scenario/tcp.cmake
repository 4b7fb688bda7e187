taptcp_test(NAME tcp_scenario_test
  SOURCES ${CMAKE_SOURCE_DIR}/tests/scenario/tcp_scenario_test.cc
  LIBS taptcp_sim LABELS scenario)
