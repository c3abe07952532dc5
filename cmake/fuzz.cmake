# Fuzzing (fuzz/): libFuzzer targets, built only with -DQG_FUZZ=ON and clang
# (`make fuzz` configures build-fuzz/ that way). Off in normal and CI builds.
option(QG_FUZZ "Build the libFuzzer targets in fuzz/ (clang only)" OFF)
if(QG_FUZZ)
  add_subdirectory(${CMAKE_SOURCE_DIR}/fuzz ${CMAKE_BINARY_DIR}/fuzz)
endif()
