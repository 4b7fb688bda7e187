# tap/ against the Linux kernel: a TAP device inside a network namespace this test creates
# (TEST-NET-1 only), ARP both ways, and the EventLoop's timing. Skips, with the reason, without
# /dev/net/tun or CAP_NET_ADMIN.
taptcp_test(NAME tap_interop_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tap_interop_test.cc
  LIBS taptcp_tap absl::strings GTest::gmock
  LABELS interop)
