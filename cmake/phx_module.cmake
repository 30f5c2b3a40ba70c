# phx_module(NAME name SOURCES ... [TESTS ...] [PUBLIC deps...] [PRIVATE deps...] [TEST_DEPS ...])
#   Builds the static library phx_<name> from src/, and one GoogleTest binary <name>_test from TESTS,
#   registered with CTest under the label `fast`.
# phx_fuzz(NAME target SOURCES ... DEPS ...)
#   With PHX_FUZZ (clang): a libFuzzer binary; every target of the build is compiled with coverage
#   instrumentation and ASan/UBSan (see the top-level CMakeLists), so the libraries a target links are fuzzed
#   too. Otherwise: the same entry point linked to a replay driver that
#   runs the seed corpus fuzz/corpus/<target>/ plus pseudo-random inputs, registered as a `fast` test, so every
#   decoder's fuzz entry point is exercised in every CI run.
# phx_bench(NAME name SOURCES ... DEPS ...)

set(PHX_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion)

# Test and fuzz-replay binaries: the code under test is in the libraries (built with the build type's flags);
# the test code itself (GoogleTest macros, SSZ registries) is compiled at -O1, which takes about a quarter less
# time than -O3 (CI's 60-minute budget). Constant-time and benchmark binaries keep the build type's flags.
set(PHX_TEST_OPT "-O1" CACHE STRING "Optimisation flag appended for test and fuzz-replay code (empty: none)")

function(phx_test_defaults tgt)
  phx_target_defaults(${tgt})
  if(PHX_TEST_OPT AND NOT PHX_FUZZ)
    # g++ 12 at -O1 reports a false -Wmismatched-new-delete on Boost.Asio's coroutine frames (its recycling
    # allocator's aligned_new/operator delete pair once inlined); -O3 inlines past it.
    target_compile_options(${tgt} PRIVATE ${PHX_TEST_OPT} -Wno-mismatched-new-delete)
  endif()
endfunction()

function(phx_target_defaults tgt)
  target_compile_options(${tgt} PRIVATE ${PHX_WARNINGS})
  if(PHX_WERROR)
    target_compile_options(${tgt} PRIVATE -Werror)
  endif()
  if(PHX_NATIVE)
    target_compile_options(${tgt} PRIVATE -march=native)
  endif()
  target_include_directories(${tgt} PUBLIC ${PROJECT_SOURCE_DIR}/src)
endfunction()

function(phx_module)
  cmake_parse_arguments(M "" "NAME" "SOURCES;TESTS;PUBLIC;PRIVATE;TEST_DEPS;TEST_LABELS" ${ARGN})
  set(lib phx_${M_NAME})
  if(M_SOURCES)
    add_library(${lib} STATIC ${M_SOURCES})
    phx_target_defaults(${lib})
    target_link_libraries(${lib} PUBLIC ${M_PUBLIC} PRIVATE ${M_PRIVATE})
  else()
    add_library(${lib} INTERFACE)
    target_include_directories(${lib} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${lib} INTERFACE ${M_PUBLIC})
  endif()
  if(M_TESTS)
    set(t ${M_NAME}_test)
    add_executable(${t} ${M_TESTS})
    phx_test_defaults(${t})
    target_link_libraries(${t} PRIVATE ${lib} ${M_TEST_DEPS} GTest::gmock GTest::gtest_main)
    set(labels fast)
    if(M_TEST_LABELS)
      set(labels ${M_TEST_LABELS})
    endif()
    gtest_discover_tests(${t} PROPERTIES LABELS "${labels}" DISCOVERY_TIMEOUT 60)
  endif()
endfunction()

function(phx_fuzz)
  cmake_parse_arguments(F "" "NAME" "SOURCES;DEPS" ${ARGN})
  add_executable(${F_NAME} ${F_SOURCES})
  phx_test_defaults(${F_NAME})
  target_link_libraries(${F_NAME} PRIVATE ${F_DEPS})
  if(PHX_FUZZ)
    target_link_options(${F_NAME} PRIVATE -fsanitize=fuzzer)
  else()
    target_link_libraries(${F_NAME} PRIVATE phx_fuzz_replay)
    add_test(NAME ${F_NAME}_replay
      COMMAND ${F_NAME} ${PROJECT_SOURCE_DIR}/fuzz/corpus/${F_NAME})
    set_tests_properties(${F_NAME}_replay PROPERTIES LABELS fast)
  endif()
endfunction()

function(phx_bench)
  cmake_parse_arguments(B "" "NAME" "SOURCES;DEPS" ${ARGN})
  if(NOT PHX_BENCH)
    return()
  endif()
  add_executable(${B_NAME} ${B_SOURCES})
  phx_target_defaults(${B_NAME})
  target_link_libraries(${B_NAME} PRIVATE ${B_DEPS} benchmark::benchmark)
endfunction()
