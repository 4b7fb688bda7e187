# taptcp_test(NAME name SOURCES a.cc ... LIBS lib ... LABELS unit|scenario|...)
# One GoogleTest binary per module; each TEST becomes a ctest entry carrying the labels.
include(GoogleTest)
function(taptcp_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${T_NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT 300 DISCOVERY_TIMEOUT 60)
endfunction()

# taptcp_bench(NAME name SOURCES ... LIBS ...): a Google Benchmark binary (not a test).
function(taptcp_bench)
  if(NOT TAPTCP_BENCH)
    return()
  endif()
  cmake_parse_arguments(B "" "NAME" "SOURCES;LIBS" ${ARGN})
  add_executable(${B_NAME} ${B_SOURCES})
  target_link_libraries(${B_NAME} PRIVATE ${B_LIBS} benchmark::benchmark)
endfunction()

# taptcp_fuzzer(NAME name SOURCES ... LIBS ... [CORPUS dir ...] [ARGS flag ...] [DEPENDS target ...]):
# a fuzz target, built only with TAPTCP_FUZZ. TAPTCP_FUZZ_ENGINE picks the driver: libfuzzer (clang,
# -fsanitize=fuzzer) or afl (configure with CC=afl-clang-fast CXX=afl-clang-fast++, or the -lto
# pair: the same -fsanitize=fuzzer link then pulls in AFL++'s libFuzzer-compatible driver and
# afl-cc drops -fsanitize=fuzzer-no-link for its own instrumentation). Either
# way ASan + UBSan are on (the top-level TAPTCP_FUZZ flags). Each target gets a ctest entry (label
# fuzz) that runs it for TAPTCP_FUZZ_SECONDS on its seed corpora (every CORPUS dir), with ARGS as
# extra engine flags (libFuzzer only); see tests/fuzz/README.md.
set(TAPTCP_FUZZ_SECONDS 60 CACHE STRING "Seconds each fuzz target runs under ctest")
set(TAPTCP_FUZZ_ENGINE libfuzzer CACHE STRING "Fuzzing engine for the fuzz targets: libfuzzer or afl")
set_property(CACHE TAPTCP_FUZZ_ENGINE PROPERTY STRINGS libfuzzer afl)
if(TAPTCP_FUZZ AND NOT TAPTCP_FUZZ_ENGINE MATCHES "^(libfuzzer|afl)$")
  message(FATAL_ERROR "TAPTCP_FUZZ_ENGINE must be libfuzzer or afl, not '${TAPTCP_FUZZ_ENGINE}'")
endif()
function(taptcp_fuzzer)
  if(NOT TAPTCP_FUZZ)
    return()
  endif()
  cmake_parse_arguments(F "" "NAME" "SOURCES;LIBS;CORPUS;ARGS;DEPENDS" ${ARGN})
  add_executable(${F_NAME} ${F_SOURCES})
  target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${F_NAME} PRIVATE ${F_LIBS})
  if(F_DEPENDS)
    add_dependencies(${F_NAME} ${F_DEPENDS})
  endif()
  set(work ${CMAKE_CURRENT_BINARY_DIR}/${F_NAME}.corpus)
  if(TAPTCP_FUZZ_ENGINE STREQUAL "afl")
    set(runner ${CMAKE_SOURCE_DIR}/tests/fuzz/run-afl.sh)
    set(work ${CMAKE_CURRENT_BINARY_DIR}/${F_NAME}.afl)
  else()
    set(runner ${CMAKE_SOURCE_DIR}/tests/fuzz/run-fuzzer.sh)
  endif()
  string(JOIN " " target_args ${F_ARGS})
  add_test(NAME ${F_NAME}
           COMMAND ${CMAKE_COMMAND} -E env "TAPTCP_FUZZ_TARGET_ARGS=${target_args}" ${runner}
                   $<TARGET_FILE:${F_NAME}> ${work} ${TAPTCP_FUZZ_SECONDS} ${F_CORPUS})
  set_tests_properties(${F_NAME} PROPERTIES LABELS fuzz TIMEOUT 600)
endfunction()
