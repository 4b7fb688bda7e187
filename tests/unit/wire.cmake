# stack/wire: per-format unit tests, and the differential test against libtins.
taptcp_test(NAME wire_test
  SOURCES
    ${CMAKE_SOURCE_DIR}/tests/unit/wire_addresses_test.cc
    ${CMAKE_SOURCE_DIR}/tests/unit/wire_checksum_test.cc
    ${CMAKE_SOURCE_DIR}/tests/unit/wire_ethernet_arp_test.cc
    ${CMAKE_SOURCE_DIR}/tests/unit/wire_ipv4_icmp_test.cc
    ${CMAKE_SOURCE_DIR}/tests/unit/wire_tcp_test.cc
    ${CMAKE_SOURCE_DIR}/tests/unit/wire_tcp_options_test.cc
    ${CMAKE_SOURCE_DIR}/tests/unit/wire_frame_test.cc
    ${CMAKE_SOURCE_DIR}/tests/unit/wire_offload_test.cc
  LIBS taptcp_wire absl::flat_hash_map absl::hash
  LABELS unit)

taptcp_test(NAME wire_libtins_diff_test
  SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/wire_libtins_diff_test.cc
  LIBS taptcp_wire PkgConfig::TINS
  LABELS unit)
