# The TCP stack fed ops (segments, socket calls, time): invariants after every op (see
# tcp_stack_fuzz.cc), seeds checked in and converted from pcaps/.
taptcp_fuzzer(NAME tcp_stack_fuzz
  CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/tcp_stack ${TAPTCP_FUZZ_SEEDS}/tcp_stack
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/tcp_stack_fuzz.cc ${CMAKE_SOURCE_DIR}/tests/fuzz/tcp_stack_harness.cc
          ${CMAKE_SOURCE_DIR}/tests/fuzz/tcp_stack_invariants.cc
  LIBS taptcp_fuzz_input taptcp_stack taptcp_capture
  DEPENDS fuzz_seeds)
