#include "isa/source_file.hpp"

#include <mutex>
#include <ostream>
#include <unordered_set>

namespace tn::isa {

namespace {

// Strings live as long as the process: node-based, so their addresses never move.
const std::string* intern(std::string_view text) {
  static std::mutex mutex;
  static std::unordered_set<std::string> pool;
  // One file emits many instructions in a row: remember the last one per thread.
  thread_local std::string_view last_text;
  thread_local const std::string* last = nullptr;
  if (last && text == last_text)
    return last;
  std::lock_guard lock(mutex);
  const std::string* s = &*pool.emplace(text).first;
  last = s;
  last_text = *s;
  return s;
}

}  // namespace

SourceFile::SourceFile() {
  static const std::string* const empty = intern({});  // every default-constructed instruction has one
  m_text = empty;
}
SourceFile::SourceFile(std::string_view text) : m_text(intern(text)) {}

std::string operator+(const SourceFile& a, const char* b) { return a.str() + b; }
std::string operator+(const SourceFile& a, const std::string& b) { return a.str() + b; }
std::string operator+(const char* a, const SourceFile& b) { return a + b.str(); }
std::string operator+(const std::string& a, const SourceFile& b) { return a + b.str(); }
std::ostream& operator<<(std::ostream& out, const SourceFile& f) { return out << f.str(); }

}  // namespace tn::isa
