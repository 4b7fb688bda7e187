# The listen queues and SYN cookies (issue 6): every decision of tcp_conn_request, tcp_check_req,
# reqsk_timer_handler and cookie_v4_check, with its segments and counters.
taptcp_test(NAME listen_queue_test
  SOURCES ${CMAKE_SOURCE_DIR}/tests/scenario/listen_queue_test.cc
  LIBS taptcp_sim LABELS scenario)
