// The file of a SourceLocation, interned: every instruction a generator emits from one file shares one
// string, so an instruction record holds a pointer rather than its own copy (a heap block per instruction
// once a path outgrows the small-string buffer, as "kernels/attention_cte.cpp" does).
#pragma once
#include <iosfwd>
#include <string>
#include <string_view>

namespace tn::isa {

class SourceFile {
 public:
  SourceFile();                  // ""
  SourceFile(std::string_view);  // NOLINT: implicit, like the std::string it replaces
  SourceFile(const char* file) : SourceFile(std::string_view(file)) {}  // NOLINT

  const std::string& str() const { return *m_text; }
  operator const std::string&() const { return *m_text; }  // NOLINT
  bool empty() const { return m_text->empty(); }
  // Interned: equal text is the same string.
  bool operator==(const SourceFile& o) const { return m_text == o.m_text; }

 private:
  const std::string* m_text;
};

std::string operator+(const SourceFile& a, const char* b);
std::string operator+(const SourceFile& a, const std::string& b);
std::string operator+(const char* a, const SourceFile& b);
std::string operator+(const std::string& a, const SourceFile& b);
std::ostream& operator<<(std::ostream& out, const SourceFile& f);

}  // namespace tn::isa
