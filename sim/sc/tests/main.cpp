// SystemC needs sc_main (libsystemc defines main); it runs doctest. The kernel cannot restart, so CTest
// runs every case in its own process (doctest_discover_tests); run the binary by hand with
// --test-case=<name> for one case.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <systemc>

int sc_main(int argc, char** argv) { return doctest::Context(argc, argv).run(); }
