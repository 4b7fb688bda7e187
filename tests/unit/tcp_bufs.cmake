# stack/tcp data-path buffers: unit tests, property tests against reference models (a deque for
# the send ring, a byte map for reassembly, a byte bitmap for the SACK scoreboard), the RFC 2018
# and RFC 2883 examples, and an allocation check for the per-packet paths.
taptcp_test(NAME tcp_bufs_test
  SOURCES
    ${CMAKE_SOURCE_DIR}/tests/unit/send_buffer_test.cc
    ${CMAKE_SOURCE_DIR}/tests/unit/reassembly_test.cc
    ${CMAKE_SOURCE_DIR}/tests/unit/reassembly_property_test.cc
    ${CMAKE_SOURCE_DIR}/tests/unit/sack_scoreboard_test.cc
    ${CMAKE_SOURCE_DIR}/tests/unit/tcp_bufs_alloc_test.cc
  LIBS taptcp_tcp_bufs
  LABELS unit)
