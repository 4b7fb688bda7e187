# stack/tcp/syncookie.*: SYN cookies (the cookie ISN, its age and MSS index, the TSval options).
taptcp_test(NAME syncookie_test
  SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/syncookie_test.cc
  LIBS taptcp_stack
  LABELS unit)
