# tap/: the virtio_net_hdr encode/decode behind the TAP device's offloads (pure functions, no
# device), and hostile headers fed to a stack.
taptcp_test(NAME tap_vnet_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tap_vnet_test.cc
  LIBS taptcp_tap taptcp_stack
  LABELS unit)
