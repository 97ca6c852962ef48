// StringInterner: iids in order of first use, whatever the caller's buffers; intern_stable() trusts a
// pointer only where it was itself given that pointer.
#include <doctest/doctest.h>

#include <string>

#include "traces/string_interner.hpp"

using tn::trace::StringInterner;

TEST_CASE("string interner: iids follow first use, and a reused buffer with new text gets a new iid") {
  StringInterner t(100);
  std::string buffer = "alpha";
  CHECK(t.intern(buffer).iid == 1);
  CHECK(t.intern(buffer).fresh == false);
  buffer.replace(0, 5, "gamma");  // same address and size, other text
  const StringInterner::Result r = t.intern(buffer);
  CHECK(r.iid == 2);
  CHECK(r.fresh);
  CHECK(t.intern(std::string("alpha")).iid == 1);  // by text, from another address
  CHECK(t.text(2) == "gamma");
}

TEST_CASE("string interner: intern_stable answers a repeat by address, never from a plain intern's line") {
  StringInterner t(100);
  std::string buffer = "delta";
  CHECK(t.intern(buffer).iid == 1);
  buffer.replace(0, 5, "omega");
  // A plain intern() filled this address's line with "delta": intern_stable must look the text up.
  CHECK(t.intern_stable(buffer).iid == 2);
  CHECK(t.intern_stable(buffer).iid == 2);
  static constexpr const char* kLiteral = "opcode";
  CHECK(t.intern_stable(kLiteral).iid == 3);
  CHECK(t.intern_stable(kLiteral).fresh == false);
  CHECK(t.intern(std::string(kLiteral)).iid == 3);  // the same text by either call
}

TEST_CASE("string interner: a full table returns 0 for new text and keeps answering old text") {
  StringInterner t(2);
  CHECK(t.intern("a").iid == 1);
  CHECK(t.intern_stable("b").iid == 2);
  CHECK(t.intern("c").iid == 0);
  CHECK(t.intern_stable("c").iid == 0);
  CHECK(t.intern("a").iid == 1);
  CHECK(t.size() == 2);
}
