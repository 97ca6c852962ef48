# -DTRNSIM_SANITIZE=address,undefined builds every target (libraries, executables, tests) with GCC's or Clang's
# sanitizers; tools/sanitizer_tests.sh configures it and runs the tests under it. Empty (the default) builds
# without.
#   -fno-sanitize-recover=undefined: UBSan reports abort the process (non-zero exit), so a report fails the
#     test that made it instead of scrolling past in its output.
#   -fno-omit-frame-pointer: complete stack traces in the reports from ASan's fast frame-pointer unwinder.
# Leak checking needs nothing more: LeakSanitizer is part of ASan on Linux and runs at exit by default.
set(TRNSIM_SANITIZE "" CACHE STRING "sanitizers to build with, as for -fsanitize= (e.g. address,undefined); empty: none")
if(TRNSIM_SANITIZE)
  if(NOT TRNSIM_SANITIZE MATCHES "^[a-z,-]+$")
    message(FATAL_ERROR "TRNSIM_SANITIZE='${TRNSIM_SANITIZE}': expected a comma-separated list such as address,undefined")
  endif()
  set(_tn_sanitize_flags -fsanitize=${TRNSIM_SANITIZE} -fno-omit-frame-pointer)
  if(TRNSIM_SANITIZE MATCHES "undefined")
    list(APPEND _tn_sanitize_flags -fno-sanitize-recover=undefined)
  endif()
  add_compile_options(${_tn_sanitize_flags})
  add_link_options(${_tn_sanitize_flags})
  list(JOIN _tn_sanitize_flags " " _tn_sanitize_text)
  message(STATUS "trnsim: sanitizers ${TRNSIM_SANITIZE} (${_tn_sanitize_text})")
endif()
