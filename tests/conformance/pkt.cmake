# Script conformance (DESIGN.md, tests 3): every pcaps/scripts/**/*.pkt is a ctest entry, label
# conformance, run by `taptcp pkt` with a capture of the run in the build tree. A script whose
# header says `// taptcp-deviation: line N: ...` pins Linux behaviour taptcp does not have yet: it
# must fail at exactly line N, and is reported as skipped with the reason until taptcp is fixed,
# when it fails to say the marker should go (run_pkt.sh).
file(GLOB_RECURSE pkt_scripts CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/pcaps/scripts/*.pkt)
foreach(script ${pkt_scripts})
  file(RELATIVE_PATH rel ${CMAKE_SOURCE_DIR}/pcaps/scripts ${script})
  string(REGEX REPLACE "\\.pkt$" "" name ${rel})
  add_test(NAME pkt/${name}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/run_pkt.sh $<TARGET_FILE:taptcp> ${script}
                   ${CMAKE_CURRENT_BINARY_DIR}/captures/${name}.pcap)
  set_tests_properties(pkt/${name} PROPERTIES LABELS conformance SKIP_RETURN_CODE 77 TIMEOUT 120)
endforeach()

# Every check in those scripts must be able to fail: each `>` line and each call result is broken in
# turn and the script must then fail at that line (mutate_pkt.py).
find_program(TAPTCP_PYTHON3 python3)
if(TAPTCP_PYTHON3)
  add_test(NAME pkt/mutations
           COMMAND ${TAPTCP_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/mutate_pkt.py $<TARGET_FILE:taptcp>
                   ${pkt_scripts})
  set_tests_properties(pkt/mutations PROPERTIES LABELS conformance TIMEOUT 600)
endif()

# The script machinery itself: lexer and parser (errors with line:col), sequence mapping, the
# matcher, and whole scripts that must fail with a given message.
taptcp_test(NAME pkt_test
  SOURCES
    ${CMAKE_CURRENT_SOURCE_DIR}/pkt_parser_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/pkt_seq_map_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/pkt_matcher_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/pkt_runner_test.cc
  LIBS taptcp_pkt
  LABELS unit)
