# stack/tcp/listener.*: SYNs per second into a listener under a flood (cookie SYN-ACK, drop,
# request entry), heap bytes per request entry, and the million-SYN scenario's wall time and peak
# heap; the heap is counted by tests/support/heap_arena.cc's operator new.
taptcp_bench(NAME listen_bench
  SOURCES ${CMAKE_SOURCE_DIR}/tests/bench/listen_bench.cc ${CMAKE_SOURCE_DIR}/tests/support/heap_arena.cc
  LIBS taptcp_sim)
