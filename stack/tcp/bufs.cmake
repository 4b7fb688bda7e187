# stack/tcp data-path buffers: the send ring, receive reassembly with SACK/D-SACK generation, and
# the sender's RFC 6675 SACK scoreboard. Self-contained (no dependency beyond the standard
# library), so the TCP core links them without pulling anything else in.
add_library(taptcp_tcp_bufs
  ${CMAKE_CURRENT_LIST_DIR}/send_buffer.cc
  ${CMAKE_CURRENT_LIST_DIR}/reassembly.cc
  ${CMAKE_CURRENT_LIST_DIR}/sack_scoreboard.cc
)
target_include_directories(taptcp_tcp_bufs PUBLIC ${CMAKE_SOURCE_DIR})
