#include "tools/kernel_params.hpp"

#include <stdexcept>

namespace tn::cli {

std::string_view param_type_name(ParamType t) {
  switch (t) {
    case ParamType::kInt:
      return "int";
    case ParamType::kNumber:
      return "number";
    case ParamType::kBool:
      return "bool";
    case ParamType::kDtype:
      return "dtype";
    case ParamType::kChoice:
      return "string";
    case ParamType::kIntList:
      return "int list";
    case ParamType::kRankLists:
      return "rank lists";
    case ParamType::kPath:
      return "path";
    case ParamType::kPathMap:
      return "{name: path}";
    case ParamType::kMetadata:
      return "metadata";
  }
  return "?";
}

ParamSpec ParamSpec::make(std::string name, ParamType type) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = type;
  return s;
}

ParamSpec ParamSpec::choice(std::string name, std::vector<std::string> choices) {
  ParamSpec s = make(std::move(name), ParamType::kChoice);
  s.choices = std::move(choices);
  return s;
}

ParamSpec ParamSpec::metadata(std::string name, std::string doc) {
  ParamSpec s = make(std::move(name), ParamType::kMetadata);
  s.default_kind = ParamDefault::kUnset;
  s.doc = std::move(doc);
  return s;
}

ParamSpec&& ParamSpec::defaults(nlohmann::json v) && {
  default_kind = ParamDefault::kValue;
  value = std::move(v);
  return std::move(*this);
}

ParamSpec&& ParamSpec::derived_from(std::string how) && {
  default_kind = ParamDefault::kDerived;
  derived = std::move(how);
  return std::move(*this);
}

ParamSpec&& ParamSpec::unset_by_default() && {
  default_kind = ParamDefault::kUnset;
  return std::move(*this);
}

ParamSpec&& ParamSpec::within(IntRange r) && {
  range = r;
  return std::move(*this);
}

ParamSpec&& ParamSpec::about(std::string text) && {
  doc = std::move(text);
  return std::move(*this);
}

std::string ParamSpec::default_text() const {
  switch (default_kind) {
    case ParamDefault::kRequired:
      return "required";
    case ParamDefault::kValue:
      return value.is_string() ? value.get<std::string>() : value.dump();
    case ParamDefault::kDerived:
      return "= " + derived;
    case ParamDefault::kUnset:
      return "unset";
  }
  return "?";
}

std::string ParamSpec::constraint_text() const {
  if (type == ParamType::kChoice) {
    std::string s;
    for (const std::string& c : choices)
      s += (s.empty() ? "" : " | ") + c;
    return s;
  }
  const IntRange any;
  if (type != ParamType::kInt || (range.min == any.min && range.max == any.max))
    return "";
  if (range.min == kInt32Range.min && range.max == kInt32Range.max)
    return "int32";
  const auto bound = [](int64_t v) {
    if (v == kInt32Range.max)
      return std::string("2^31-1");
    if (v == kInt32Range.min)
      return std::string("-2^31");
    return std::to_string(v);
  };
  if (range.max == any.max)
    return ">= " + bound(range.min);
  return bound(range.min) + ".." + bound(range.max);
}

const ParamSpec* KernelParamTable::find(const std::string& name) const {
  for (const ParamSpec& p : params) {
    if (p.name == name)
      return &p;
  }
  return nullptr;
}

ParamReader::ParamReader(const JsonObject& params, const KernelParamTable& table)
    : m_params(params), m_table(table) {
  std::set<std::string> known;
  for (const ParamSpec& p : table.params)
    known.insert(p.name);
  params.reject_unknown(known);
}

const ParamSpec& ParamReader::spec(const std::string& name, ParamType type, bool derived_given) const {
  const ParamSpec* s = m_table.find(name);
  const auto bug = [&](const std::string& what) {
    throw std::logic_error(m_table.kernel + ": parameter '" + name + "' " + what);
  };
  if (s == nullptr)
    bug("is not in the kernel's parameter table");
  if (s->type != type)
    bug("is read as a " + std::string(param_type_name(type)) + "; the table says " +
        std::string(param_type_name(s->type)));
  if (derived_given != (s->default_kind == ParamDefault::kDerived))
    bug(derived_given ? "is read with a computed default; the table gives none"
                      : "has a derived default (" + s->derived + ") the reader did not compute");
  return *s;
}

bool ParamReader::has(const std::string& name) const {
  if (m_table.find(name) == nullptr)
    throw std::logic_error(m_table.kernel + ": parameter '" + name +
                           "' is not in the kernel's parameter table");
  return m_params.has(name);
}

namespace {
template <typename T>
std::optional<T> table_default(const ParamSpec& s) {
  if (s.default_kind == ParamDefault::kValue)
    return s.value.get<T>();
  return std::nullopt;  // required, or unset (the caller asks only when given)
}
}  // namespace

int64_t ParamReader::get_int(const std::string& name) const {
  const ParamSpec& s = spec(name, ParamType::kInt, false);
  return m_params.get_int(name, table_default<int64_t>(s), s.range);
}

int64_t ParamReader::get_int(const std::string& name, int64_t derived) const {
  return m_params.get_int(name, derived, spec(name, ParamType::kInt, true).range);
}

int64_t ParamReader::get_int_within(const std::string& name, IntRange range) const {
  const ParamSpec& s = spec(name, ParamType::kInt, false);
  return m_params.get_int(name, table_default<int64_t>(s), range);
}

double ParamReader::get_number(const std::string& name) const {
  return m_params.get_number(name, table_default<double>(spec(name, ParamType::kNumber, false)));
}

double ParamReader::get_number(const std::string& name, double derived) const {
  spec(name, ParamType::kNumber, true);
  return m_params.get_number(name, derived);
}

bool ParamReader::get_bool(const std::string& name) const {
  return m_params.get_bool(name, table_default<bool>(spec(name, ParamType::kBool, false)));
}

namespace {
DType dtype_at(const JsonObject& p, const std::string& key) {
  const std::string name = p.get_string(key);
  const auto dt = dtype_from_name(name);
  if (!dt)
    p.fail(key, "unknown dtype \"" + name + "\"");
  return *dt;
}
}  // namespace

DType ParamReader::get_dtype(const std::string& name) const {
  const ParamSpec& s = spec(name, ParamType::kDtype, false);
  if (!m_params.has(name) && s.default_kind == ParamDefault::kValue)
    return *dtype_from_name(s.value.get<std::string>());
  return dtype_at(m_params, name);
}

DType ParamReader::get_dtype(const std::string& name, DType derived) const {
  spec(name, ParamType::kDtype, true);
  return m_params.has(name) ? dtype_at(m_params, name) : derived;
}

std::string ParamReader::get_choice(const std::string& name) const {
  const ParamSpec& s = spec(name, ParamType::kChoice, false);
  const std::string v = m_params.get_string(name, table_default<std::string>(s));
  for (const std::string& c : s.choices) {
    if (c == v)
      return v;
  }
  std::string list;
  for (size_t i = 0; i < s.choices.size(); ++i)
    list += (i == 0 ? "" : i + 1 == s.choices.size() ? " or " : ", ") + ("\"" + s.choices[i] + "\"");
  m_params.fail(name, "expected " + list);
}

std::string ParamReader::get_path(const std::string& name) const {
  spec(name, ParamType::kPath, false);
  return m_params.get_path(name);
}

const nlohmann::json& ParamReader::raw(const std::string& name, ParamType type) const {
  // The caller reads the value as it is and handles absence itself (a derived default included).
  const ParamSpec* s = m_table.find(name);
  spec(name, type, s != nullptr && s->default_kind == ParamDefault::kDerived);
  return m_params.raw(name);
}

JsonObject ParamReader::get_object(const std::string& name) const {
  spec(name, ParamType::kPathMap, false);
  return m_params.get_object(name);
}

}  // namespace tn::cli
