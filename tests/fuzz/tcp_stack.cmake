# The TCP stack fed timed segments: no crash, bounded tables, consistent counters.
taptcp_fuzzer(NAME tcp_stack_fuzz
  CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/tcp_stack
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/tcp_stack_fuzz.cc
  LIBS taptcp_stack)
