# A million spoofed SYNs in one virtual second against a listener with and without SYN cookies,
# while a thousand clients connect and echo; the server's heap is counted by its own operator new
# (tests/support/heap_arena.cc), so this binary links it and nothing else may.
taptcp_test(NAME syn_flood_test
  SOURCES ${CMAKE_SOURCE_DIR}/tests/scenario/syn_flood_test.cc
          ${CMAKE_SOURCE_DIR}/tests/support/heap_arena.cc
  LIBS taptcp_sim LABELS scenario)
