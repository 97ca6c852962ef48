// Properties every row of isa/instructions.def must have, checked by looping over all alternatives of
// isa::Operation: unique mnemonics, a non-empty engine mask, identity JSON round trips, and a disassembly
// that names the instruction and each of its fields.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "isa/disassembly.hpp"
#include "isa/operands.hpp"
#include "isa/operations.hpp"
#include "isa/program_json.hpp"

namespace {

using namespace tn;
using namespace tn::isa;

template <class F, size_t... I>
void for_each_alternative_impl(F& f, std::index_sequence<I...>) {
  (f(std::variant_alternative_t<I, Operation>{}), ...);
}

// Calls f(Op{}) for every instruction struct of the table.
template <class F>
void for_each_alternative(F&& f) {
  for_each_alternative_impl(f, std::make_index_sequence<kNumOpcodes>{});
}

template <class Op>
std::vector<std::string> field_names() {
  std::vector<std::string> names;
  Op op{};
  Op::for_each_field(op, [&](const char* name, auto&) { names.emplace_back(name); });
  return names;
}

// Gives every field a distinct non-default value, so that a codec that swaps, drops or defaults a field
// breaks the round trip. `n` counts fields.
struct Populate {
  int n = 0;
  AccessPattern ap() {
    const int k = n++;
    switch (k % 3) {
      case 0:
        return sbuf_ap(DType::kBFloat16, 64 * (k + 1), 32, 16 + k, {{2, 3 + k}, {1, 8}});
      case 1:
        return psum_ap(DType::kFloat32, 2048 + 4 * k, 64, 64, {{1, 100 + k}});
      default:
        return hbm_ap(k, DType::kFloat16, 1000 + k, {-512, 128}, {{4, 2}, {-1, 7 + k}, {1, 1}, {3, 2}});
    }
  }
  void operator()(const char*, AccessPattern& v) { v = ap(); }
  void operator()(const char*, OptionalAp& v) { v = some(ap()); }
  void operator()(const char*, ScalarOperand& v) { v = (n % 2) ? column(ap()) : imm(1.5f + float(n++)); }
  void operator()(const char*, bool& v) {
    v = true;
    ++n;
  }
  void operator()(const char*, int32_t& v) { v = 7 + n++; }
  void operator()(const char*, int64_t& v) { v = -(int64_t{1} << 40) - n++; }
  void operator()(const char*, float& v) {
    v = n % 2 ? kFmin : -0.375f * float(n + 1);
    ++n;
  }
  void operator()(const char*, AluOp& v) { v = static_cast<AluOp>(1 + n++ % 20); }
  void operator()(const char*, ActFunc& v) { v = static_cast<ActFunc>(1 + n++ % 18); }
  void operator()(const char*, CmpOp& v) { v = static_cast<CmpOp>(1 + n++ % 5); }
  void operator()(const char*, BranchCond& v) { v = static_cast<BranchCond>(1 + n++ % 6); }
  void operator()(const char*, RegOrImm& v) { v = reg_operand(3 + n++ % 60); }
  void operator()(const char*, Steps& v) {
    v = {n, -n, 2 * n, 3};
    ++n;
  }
  void operator()(const char*, ShuffleMask& v) {
    for (size_t i = 0; i < v.size(); ++i)
      v[i] = i % 5 == 0 ? kShuffleKeep : uint8_t((i + size_t(n)) % 32);
    ++n;
  }
};

template <class Op>
Op populated() {
  Op op{};
  Populate p;
  Op::for_each_field(op, p);
  return op;
}

std::vector<Operation> all_default_and_populated() {
  std::vector<Operation> out;
  for_each_alternative([&](auto op) {
    out.emplace_back(op);
    out.emplace_back(populated<decltype(op)>());
  });
  return out;
}

}  // namespace

TEST_CASE("every instruction has a unique non-empty mnemonic") {
  std::set<std::string_view> seen;
  size_t count = 0;
  for_each_alternative([&](auto op) {
    using Op = decltype(op);
    INFO(Op::kMnemonic);
    CHECK(!Op::kMnemonic.empty());
    CHECK(seen.insert(Op::kMnemonic).second);
    CHECK(mnemonic(Operation(op)) == Op::kMnemonic);
    ++count;
  });
  CHECK(count == kNumOpcodes);
  CHECK(seen.size() == kNumOpcodes);
}

TEST_CASE("every instruction can run on at least one engine and names only real engines") {
  for_each_alternative([&](auto op) {
    using Op = decltype(op);
    INFO(Op::kMnemonic);
    CHECK(Op::kEngines != 0);
    CHECK((Op::kEngines & ~kAnyEngine) == 0);
    CHECK(engines_of(Operation(op)) == Op::kEngines);
  });
}

TEST_CASE("populated instances differ from default ones in every field") {
  // Guards the round-trip tests below: a field left at its default would not be tested by them.
  for_each_alternative([&](auto op) {
    using Op = decltype(op);
    INFO(Op::kMnemonic);
    const Op filled = populated<Op>();
    const nlohmann::json a = operation_to_json(Operation(op)), b = operation_to_json(Operation(filled));
    for (const auto& name : field_names<Op>()) {
      INFO(name);
      CHECK(a.at(name) != b.at(name));
    }
  });
}

TEST_CASE("operation JSON round trip is the identity for every instruction") {
  for (const Operation& op : all_default_and_populated()) {
    INFO(disassemble(op));
    const nlohmann::json j = operation_to_json(op);
    CHECK(operation_from_json(j, "$") == op);
    // Also through text, as programs are saved.
    CHECK(operation_from_json(nlohmann::json::parse(j.dump()), "$") == op);
  }
}

TEST_CASE("operation JSON has the mnemonic under \"opcode\" and exactly one key per field") {
  for_each_alternative([&](auto op) {
    using Op = decltype(op);
    INFO(Op::kMnemonic);
    const nlohmann::json j = operation_to_json(Operation(populated<Op>()));
    CHECK(j.at("opcode") == std::string(Op::kMnemonic));
    std::set<std::string> keys;
    for (const auto& [k, v] : j.items())
      keys.insert(k);
    auto expected_names = field_names<Op>();
    std::set<std::string> expected(expected_names.begin(), expected_names.end());
    expected.insert("opcode");
    CHECK(keys == expected);
  });
}

TEST_CASE("disassembly names the mnemonic and every field of every instruction") {
  for_each_alternative([&](auto op) {
    using Op = decltype(op);
    for (const Operation& o : {Operation(op), Operation(populated<Op>())}) {
      const std::string text = disassemble(o);
      INFO(text);
      CHECK(text.rfind(std::string(Op::kMnemonic), 0) == 0);
      for (const auto& name : field_names<Op>())
        CHECK(text.find(" " + name + "=") != std::string::npos);
    }
  });
}

TEST_CASE(
    "operands are the access-pattern fields, written exactly when named dst, accumulate or reduce_res") {
  for_each_alternative([&](auto op) {
    using Op = decltype(op);
    INFO(Op::kMnemonic);
    const Op filled = populated<Op>();
    std::vector<std::string> expected;
    Op::for_each_field(filled, [&](const char* name, const auto& v) {
      using T = std::decay_t<decltype(v)>;
      if constexpr (std::is_same_v<T, AccessPattern> || std::is_same_v<T, OptionalAp>)
        expected.emplace_back(name);
      if constexpr (std::is_same_v<T, ScalarOperand>) {
        if (v.is_ap)
          expected.emplace_back(name);
      }
    });
    std::vector<std::string> got;
    for (const Operand& o : operands_of(Operation(filled))) {
      got.emplace_back(o.field);
      const std::string f(o.field);
      CHECK(o.is_write == (f == "dst" || f == "accumulate" || f == "reduce_res"));
    }
    CHECK(got == expected);
  });
}

TEST_CASE("absent optional operands and immediate scalars are not operands") {
  Activation act;
  act.scale = imm(2.0f);
  act.dst = sbuf_ap(DType::kFloat32, 0, 0, 4, {{1, 8}});
  act.src = sbuf_ap(DType::kFloat32, 64, 0, 4, {{1, 8}});
  const auto ops = operands_of(act);
  REQUIRE(ops.size() == 2);
  CHECK(ops[0].field == "dst");
  CHECK(ops[0].is_write);
  CHECK(ops[1].field == "src");
  CHECK(!ops[1].is_write);
  act.bias = some(sbuf_ap(DType::kFloat32, 128, 0, 4, {{1, 1}}));
  act.scale = column(sbuf_ap(DType::kFloat32, 132, 0, 4, {{1, 1}}));
  CHECK(operands_of(act).size() == 4);
}

TEST_CASE(
    "an access-pattern dimension holds 32-bit strides and counts, refusing larger ones, never wrapping") {
  const ApDim d{-(int64_t{1} << 31), (int64_t{1} << 31) - 1};
  CHECK(d.stride == INT32_MIN);
  CHECK(d.count == INT32_MAX);
  CHECK(d.extent() == -(int64_t{1} << 31) * ((int64_t{1} << 31) - 1));  // formed in 64 bits
  CHECK_THROWS_AS(ApDim(int64_t{1} << 31, 1), std::out_of_range);
  CHECK_THROWS_AS(ApDim(1, -(int64_t{1} << 31) - 1), std::out_of_range);
  // An instruction record stays small: five access patterns of 64 bytes fit the widest row.
  CHECK(sizeof(AccessPattern) == 64);
}
