# stack/tcp identity modules (stack/tcp/ident.cmake): sequence numbers, SipHash, ISNs, port choice.
taptcp_test(NAME ident_test
  SOURCES
    ${CMAKE_SOURCE_DIR}/tests/unit/tcp_seq_test.cc
    ${CMAKE_SOURCE_DIR}/tests/unit/siphash_test.cc
    ${CMAKE_SOURCE_DIR}/tests/unit/tcp_isn_test.cc
    ${CMAKE_SOURCE_DIR}/tests/unit/tcp_port_alloc_test.cc
  LIBS taptcp_tcp_ident
  LABELS unit)
