# timers/: the wheel (unit tests, and a property test against a reference model) and the clocks.
taptcp_test(NAME timers_test
  SOURCES
    ${CMAKE_SOURCE_DIR}/tests/unit/wheel_test.cc
    ${CMAKE_SOURCE_DIR}/tests/unit/wheel_property_test.cc
    ${CMAKE_SOURCE_DIR}/tests/unit/clock_test.cc
  LIBS taptcp_timers
  LABELS unit)
