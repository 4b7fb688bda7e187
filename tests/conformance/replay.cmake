# taptcp replay: unit tests of its library (label unit), and every reference capture of the Linux
# kernel in pcaps/linux replayed into taptcp (label conformance; pcaps/record-linux.sh makes them).
taptcp_test(NAME replay_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/replay_test.cc
  LIBS taptcp_replay absl::strings GTest::gmock
  LABELS unit)

file(GLOB replay_linux_captures CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/pcaps/linux/*.pcap)
foreach(capture ${replay_linux_captures})
  get_filename_component(name ${capture} NAME_WE)
  add_test(NAME replay_linux_${name} COMMAND $<TARGET_FILE:taptcp> replay ${capture})
  set_tests_properties(replay_linux_${name} PROPERTIES LABELS conformance TIMEOUT 60)
endforeach()

# The command line: exit codes 0 / 1 / 2 and one-line errors for unusable inputs.
add_test(NAME replay_cli COMMAND ${CMAKE_CURRENT_LIST_DIR}/replay_cli_test.sh $<TARGET_FILE:taptcp>
                                 ${CMAKE_SOURCE_DIR}/pcaps/linux)
set_tests_properties(replay_cli PROPERTIES LABELS conformance TIMEOUT 60)
