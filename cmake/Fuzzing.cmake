# TRNSIM_FUZZ=ON: the libFuzzer targets of tests/fuzz. Every library is compiled with libFuzzer's coverage
# instrumentation (fuzzer-no-link), AddressSanitizer and UndefinedBehaviorSanitizer; the targets link
# libFuzzer itself (-fsanitize=fuzzer, tests/fuzz/CMakeLists.txt). libFuzzer ships with clang, so the option
# needs clang, 15 or later: the kernels use std::source_location, which libstdc++ 12 builds on
# __builtin_source_location, new in clang 15 (Debian 12's clang is 14; its clang-16 and libclang-rt-16-dev
# have what is needed): CC=clang-16 CXX=clang++-16 cmake -B build-fuzz -DTRNSIM_FUZZ=ON ...
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang" OR CMAKE_CXX_COMPILER_VERSION VERSION_LESS 15)
  message(FATAL_ERROR "TRNSIM_FUZZ needs clang 15 or later (libFuzzer, std::source_location); configure with "
                      "CXX=clang++-16 (got ${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION})")
endif()
# Any undefined behaviour stops the run as a crash (the fuzzer keeps the input), rather than printing and going on.
set(TRNSIM_FUZZ_SANITIZERS -fsanitize=address,undefined -fno-sanitize-recover=all)
add_compile_options(-fsanitize=fuzzer-no-link ${TRNSIM_FUZZ_SANITIZERS} -fno-omit-frame-pointer -g)
add_link_options(${TRNSIM_FUZZ_SANITIZERS})
