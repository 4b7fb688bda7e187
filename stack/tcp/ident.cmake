# TCP identity: sequence-number arithmetic, SipHash, initial sequence numbers and timestamp offsets,
# ephemeral port selection. Small, dependency-free pieces the TCP core builds on. Included from
# stack/CMakeLists.txt, so paths are relative to stack/.
add_library(taptcp_tcp_ident
  ${CMAKE_CURRENT_LIST_DIR}/../crypto/siphash.cc
  ${CMAKE_CURRENT_LIST_DIR}/isn.cc
  ${CMAKE_CURRENT_LIST_DIR}/port_alloc.cc
)
target_link_libraries(taptcp_tcp_ident PUBLIC taptcp_wire absl::flat_hash_map absl::function_ref)
