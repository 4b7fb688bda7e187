# conformance/pkt: the packetdrill-dialect script parser on hostile text: no crash, bounded
# memory, positions in every error, options and packets that round-trip (see pkt_parser_fuzz.cc).
# tests/fuzz/pkt_parser.dict lists the language's keywords: FUZZER_ARGS=-dict=... uses it.
taptcp_fuzzer(NAME pkt_parser_fuzz
  CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/pkt_parser
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/pkt_parser_fuzz.cc
  LIBS taptcp_pkt)
