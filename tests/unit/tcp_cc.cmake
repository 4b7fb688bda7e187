# stack/tcp congestion-control modules: RTO estimation, reno, cubic (HyStart), PRR.
taptcp_test(NAME tcp_cc_test
  SOURCES
    ${CMAKE_SOURCE_DIR}/tests/unit/tcp_rto_test.cc
    ${CMAKE_SOURCE_DIR}/tests/unit/tcp_reno_test.cc
    ${CMAKE_SOURCE_DIR}/tests/unit/tcp_cubic_test.cc
    ${CMAKE_SOURCE_DIR}/tests/unit/tcp_prr_test.cc
  LIBS taptcp_tcp_cc
  LABELS unit)
