# The TCP state/event matrix (issue 3): every state x segment kind x sequence/ack position against
# Linux 6.x's answers, with a scripted peer in virtual time.
taptcp_test(NAME tcp_state_matrix_test
  SOURCES ${CMAKE_SOURCE_DIR}/tests/scenario/tcp_state_matrix_test.cc
  LIBS taptcp_sim LABELS scenario)
