# tap/: one-line errors for bad names, busy devices and missing privileges.
taptcp_test(NAME tap_errors_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/tap_errors_test.cc
  LIBS taptcp_tap absl::strings GTest::gmock
  LABELS unit)
