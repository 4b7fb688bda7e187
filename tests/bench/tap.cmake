# Performance over TAP (issue 5): tap_compare.sh runs this kernel-socket peer as the client of
# taptcp over TAP and of the kernel over veth, and as the kernel server of the veth baseline.
taptcp_bench(NAME tap_bench_peer SOURCES ${CMAKE_SOURCE_DIR}/tests/bench/tap_bench_peer.cc)
