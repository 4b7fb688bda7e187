# capture/pcap_reader: any bytes as a capture file; bounded memory (no allocation over 64 MiB), a
# round trip through the writer (see pcap_reader_fuzz.cc).
taptcp_fuzzer(NAME pcap_reader_fuzz
  CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/pcap_reader ${TAPTCP_FUZZ_SEEDS}/pcap_reader
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/pcap_reader_fuzz.cc
  LIBS taptcp_capture taptcp_wire
  ARGS -malloc_limit_mb=64 -rss_limit_mb=1024
  DEPENDS fuzz_seeds)
