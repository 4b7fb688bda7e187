# stack/tcp/syncookie.*: cookie make/check and the TSval options, against one SipHash in the same run.
taptcp_bench(NAME syncookie_bench
  SOURCES ${CMAKE_SOURCE_DIR}/tests/bench/syncookie_bench.cc
  LIBS taptcp_stack)
