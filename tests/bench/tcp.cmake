# TCP benchmarks (issue 3): connection lifecycle, bulk throughput and memory per connection between
# two taptcp stacks, against the Linux kernel over loopback in a private network namespace the
# binary creates itself, in the same run; prints "ratio ..." lines at the end.
taptcp_bench(NAME tcp_bench
  SOURCES ${CMAKE_SOURCE_DIR}/tests/bench/tcp_bench.cc ${CMAKE_SOURCE_DIR}/tests/bench/tcp_bench_kernel.cc
  LIBS taptcp_sim)
