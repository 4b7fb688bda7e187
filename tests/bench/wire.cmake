# stack/wire decode/encode/checksum costs, with libtins and a naive checksum as same-run baselines.
taptcp_bench(NAME wire_bench
  SOURCES ${CMAKE_SOURCE_DIR}/tests/bench/wire_bench.cc
  LIBS taptcp_wire PkgConfig::TINS)
