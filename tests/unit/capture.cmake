# capture/: pcap writer and reader round trips, errors, and a tshark second opinion on the frames.
taptcp_test(NAME capture_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/capture_test.cc
  LIBS taptcp_capture absl::strings GTest::gmock
  LABELS unit)
