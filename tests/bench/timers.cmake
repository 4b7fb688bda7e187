# timers/: the wheel against a lazy-deletion binary heap and a std::multimap, in one binary and one
# run; prints heap/wheel and multimap/wheel ratios at the end.
taptcp_bench(NAME timer_bench
  SOURCES ${CMAKE_SOURCE_DIR}/tests/bench/timer_bench.cc
  LIBS taptcp_timers)
