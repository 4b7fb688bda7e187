# stack/wire: decode any frame; what decodes must survive re-encoding (see wire_fuzz.cc).
taptcp_fuzzer(NAME wire_fuzz
  CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/wire ${TAPTCP_FUZZ_SEEDS}/wire
  SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/wire_fuzz.cc
  LIBS taptcp_wire
  DEPENDS fuzz_seeds)
