// Each kernel's run-config parameters as one declarative table: name, type, default, constraints and what
// the parameter means. The parser reads parameters only through the table (ParamReader), so the keys a
// config may give, their defaults and their ranges cannot differ from what `trnsim kernels` lists.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "isa/dtype.hpp"
#include "tools/json_reader.hpp"

namespace tn::cli {

enum class ParamType {
  kInt,
  kNumber,
  kBool,
  kDtype,
  kChoice,     // one of `choices`
  kIntList,    // a list of integers
  kRankLists,  // a list of lists of rank ids (replica groups)
  kPath,       // a file's path, relative to the config's paths_relative_to
  kPathMap,    // {name: path}
  kMetadata,   // a test case's bookkeeping, accepted and not used (attention_cte_cases.json)
};

std::string_view param_type_name(ParamType t);

// What an absent parameter means.
enum class ParamDefault {
  kRequired,  // must be given
  kValue,     // `value`
  kDerived,   // computed from other parameters, as `derived` says
  kUnset,     // absent turns a feature off
};

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kInt;
  ParamDefault default_kind = ParamDefault::kRequired;
  nlohmann::json value;              // kValue
  std::string derived;               // kDerived: how (e.g. "bs")
  IntRange range;                    // kInt: the values the parser accepts
  std::vector<std::string> choices;  // kChoice
  std::string doc;                   // what it is, and the kernel's own rules on it

  // Chained construction, for tables that read as lists.
  static ParamSpec integer(std::string name) { return make(std::move(name), ParamType::kInt); }
  static ParamSpec number(std::string name) { return make(std::move(name), ParamType::kNumber); }
  static ParamSpec boolean(std::string name) { return make(std::move(name), ParamType::kBool); }
  static ParamSpec dtype(std::string name) { return make(std::move(name), ParamType::kDtype); }
  static ParamSpec choice(std::string name, std::vector<std::string> choices);
  static ParamSpec int_list(std::string name) { return make(std::move(name), ParamType::kIntList); }
  static ParamSpec rank_lists(std::string name) { return make(std::move(name), ParamType::kRankLists); }
  static ParamSpec path(std::string name) { return make(std::move(name), ParamType::kPath); }
  static ParamSpec path_map(std::string name) { return make(std::move(name), ParamType::kPathMap); }
  static ParamSpec metadata(std::string name, std::string doc);
  ParamSpec&& defaults(nlohmann::json v) &&;
  ParamSpec&& derived_from(std::string how) &&;
  ParamSpec&& unset_by_default() &&;
  ParamSpec&& within(IntRange r) &&;
  ParamSpec&& about(std::string text) &&;

  std::string default_text() const;     // "1", "required", "= bs", "unset"
  std::string constraint_text() const;  // "1..512", "sequential | shuffled", ""

 private:
  static ParamSpec make(std::string name, ParamType type);
};

struct KernelParamTable {
  std::string kernel;
  std::string summary;  // one line: what the kernel computes, and where kernels.md defines it
  std::vector<ParamSpec> params;
  nlohmann::json example;  // parameters that make a small valid run (for `trnsim kernels`)

  const ParamSpec* find(const std::string& name) const;
};

// A kernel's parameters read through its table: unknown keys are refused (naming the JSON path), a
// parameter's default and range are the table's, and reading a name the table lacks, with a getter of
// another type or without computing a derived default is a programming error (std::logic_error), which
// the tests that run every kernel catch.
class ParamReader {
 public:
  ParamReader(const JsonObject& params, const KernelParamTable& table);

  bool has(const std::string& name) const;
  int64_t get_int(const std::string& name) const;
  int64_t get_int(const std::string& name, int64_t derived) const;  // a kDerived default, computed
  // A range that depends on other parameters (the table's doc says which), narrower than the table's.
  int64_t get_int_within(const std::string& name, IntRange range) const;
  double get_number(const std::string& name) const;
  double get_number(const std::string& name, double derived) const;
  bool get_bool(const std::string& name) const;
  DType get_dtype(const std::string& name) const;
  DType get_dtype(const std::string& name, DType derived) const;
  std::string get_choice(const std::string& name) const;
  std::string get_path(const std::string& name) const;
  // The value as given (the caller checks it and handles absence, a derived default included).
  const nlohmann::json& raw(const std::string& name, ParamType type) const;
  JsonObject get_object(const std::string& name) const;  // a kPathMap

  [[noreturn]] void fail(const std::string& name, const std::string& what) const {
    m_params.fail(name, what);
  }
  const JsonObject& object() const { return m_params; }
  const KernelParamTable& table() const { return m_table; }

 private:
  const ParamSpec& spec(const std::string& name, ParamType type, bool derived_given) const;

  const JsonObject& m_params;
  const KernelParamTable& m_table;
};

}  // namespace tn::cli
