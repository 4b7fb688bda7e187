# stack/tcp congestion-control modules: RTT/RTO estimation, the CongestionControl interface with
# reno and cubic, and PRR. Self-contained (only timers/time.h, header-only); the TCB links it.
add_library(taptcp_tcp_cc
  ${CMAKE_CURRENT_LIST_DIR}/rto.cc
  ${CMAKE_CURRENT_LIST_DIR}/congestion.cc
  ${CMAKE_CURRENT_LIST_DIR}/newreno.cc
  ${CMAKE_CURRENT_LIST_DIR}/cubic.cc
  ${CMAKE_CURRENT_LIST_DIR}/prr.cc
)
target_include_directories(taptcp_tcp_cc PUBLIC ${CMAKE_SOURCE_DIR})
