# The apps `serve` and `connect` run (apps/): the HTTP/1.1 parser and session on bytes, and every
# server mode and the client pool on two stacks over a simulated wire in virtual time, with the
# packets each must produce asserted (no root needed; the same against the kernel is
# tests/interop/apps_*.sh).
taptcp_test(NAME apps_test
  SOURCES
    ${CMAKE_SOURCE_DIR}/tests/unit/apps_http_test.cc
    ${CMAKE_SOURCE_DIR}/tests/unit/apps_server_test.cc
    ${CMAKE_SOURCE_DIR}/tests/unit/apps_client_test.cc
  LIBS taptcp_apps taptcp_sim
  LABELS unit)
# Differences between the stack and Linux found while building the apps: each test FAILS until
# stack/ matches Linux (see the comment on each for the kernel function).
taptcp_test(NAME apps_stack_deviation_test
  SOURCES ${CMAKE_SOURCE_DIR}/tests/unit/apps_stack_deviation_test.cc
  LIBS taptcp_apps taptcp_sim
  LABELS unit)
