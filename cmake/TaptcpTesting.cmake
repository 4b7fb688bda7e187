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

# taptcp_fuzzer(NAME name SOURCES ... LIBS ...): a libFuzzer target, built only with TAPTCP_FUZZ.
# Each gets a ctest entry (label fuzz) that runs it for TAPTCP_FUZZ_SECONDS on its seed corpus.
set(TAPTCP_FUZZ_SECONDS 60 CACHE STRING "Seconds each fuzz target runs under ctest")
function(taptcp_fuzzer)
  if(NOT TAPTCP_FUZZ)
    return()
  endif()
  cmake_parse_arguments(F "" "NAME;CORPUS" "SOURCES;LIBS" ${ARGN})
  add_executable(${F_NAME} ${F_SOURCES})
  target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
  target_link_libraries(${F_NAME} PRIVATE ${F_LIBS})
  set(work ${CMAKE_CURRENT_BINARY_DIR}/${F_NAME}.corpus)
  add_test(NAME ${F_NAME}
           COMMAND ${CMAKE_COMMAND} -E env ${CMAKE_SOURCE_DIR}/tests/fuzz/run-fuzzer.sh
                   $<TARGET_FILE:${F_NAME}> ${work} ${TAPTCP_FUZZ_SECONDS} ${F_CORPUS})
  set_tests_properties(${F_NAME} PROPERTIES LABELS fuzz TIMEOUT 600)
endfunction()
