// Programs as JSON: whole-program round trips, and rejection of malformed input with the JSON path of the
// bad value in the message.
#include "isa/program_json.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "isa/program_hash.hpp"

namespace {

using namespace tn;
using namespace tn::isa;
using nlohmann::json;

// A small program using every part of the format.
Program sample_program() {
  Program p;
  p.kernel = "sample";
  p.core_id = 1;
  p.tensors = {{"x", DType::kBFloat16, {4, 128, 64}, TensorKind::kInput},
               {"y", DType::kFloat32, {128, 64}, TensorKind::kOutput},
               {"scratch", DType::kUInt8, {7}, TensorKind::kInternal},
               {"mine", DType::kFloat32, {2, 3}, TensorKind::kInternal, TensorScope::kPrivate}};
  p.semaphores = {{"Tensor", 0}, {"Scalar", 0}, {"qSyncIO0", 3}, {"user", -2}};
  const AccessPattern x_sb = sbuf_ap(DType::kBFloat16, 0, 0, 128, {{1, 64}});
  const AccessPattern y_sb = sbuf_ap(DType::kFloat32, 0x400, 0, 128, {{1, 64}});
  Stream dma{"qSyncIO0", Engine::kDma, 2, {}};
  dma.instructions.push_back(
      {DmaCopy{x_sb, hbm_ap(0, DType::kBFloat16, 8192, {64, 128}, {{1, 64}})}, {}, {}});
  dma.instructions.push_back({DmaCopy{hbm_ap(1, DType::kFloat32, 0, {64, 128}, {{1, 64}}), y_sb},
                              {{1, 1}, {3, 5}},
                              {"kernels/sample.cpp", 12}});
  Stream act{"act", Engine::kAct, 1, {}};
  act.instructions.push_back({Activation{y_sb, x_sb, ActFunc::kExp, imm(0.125f), {}, {}},
                              {{2, 1}},
                              {"kernels/dir:with:colons/sample.cpp", 7}});
  act.instructions.push_back({SemSignal{3, 2}, {}, {"kernels/sample.cpp", 8}});
  act.emission_order = {1, 2};
  dma.emission_order = {0, 3};
  Stream pe{"pe", Engine::kPe, 0, {}};  // an empty stream
  p.streams = {pe, act, dma};
  p.buffers = {{"x_sb", MemKind::kSbuf, 0, 128, 128, {2, 0}, {1, 0}},
               {"acc", MemKind::kPsum, 2048, 2048, 64, {0, 3}, {1, 9}}};
  return p;
}

// The message of the JsonFormatError that parsing `j` throws; "no error" or a description of any other
// exception otherwise, so that a CHECK on the message also checks the exception type.
std::string error_of(const json& j) {
  try {
    program_from_json(j);
  } catch (const JsonFormatError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("not a JsonFormatError: ") + e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("program JSON round trip is the identity") {
  const Program p = sample_program();
  const json j = program_to_json(p);
  CHECK(program_from_json(j) == p);
  CHECK(program_from_json(json::parse(j.dump(2))) == p);
}

TEST_CASE("a stream's emission order is written when known and must have one entry per instruction") {
  json j = program_to_json(sample_program());
  CHECK(j["streams"][1]["emission_order"] == json{1, 2});
  CHECK(!j["streams"][0].contains("emission_order"));  // the empty stream records none
  j["streams"][2].erase("emission_order");
  CHECK(program_from_json(j).streams[2].emission_order.empty());  // unknown (older programs)
  j["streams"][2]["emission_order"] = {0};
  CHECK(error_of(j) == "$.streams[2].emission_order: expected one entry per instruction (2)");
  j["streams"][2]["emission_order"] = {0, -1};
  CHECK(error_of(j) == "$.streams[2].emission_order[1]: out of range");
}

TEST_CASE("a queue's DGE mode and trigger are written when not none, and checked when read") {
  Program p = sample_program();
  p.streams[2].dge = DgeMode::kHardware;
  p.streams[2].dge_trigger = Engine::kAct;
  json j = program_to_json(p);
  CHECK(j["streams"][2]["dge"] == "hwdge");
  CHECK(j["streams"][2]["dge_trigger"] == "Scalar");
  CHECK(!j["streams"][1].contains("dge"));  // none: left out, as older programs have it
  CHECK(program_from_json(j) == p);
  CHECK(program_hash(program_from_json(j)) != program_hash(sample_program()));
  j["streams"][2]["dge"] = "swdge";
  j["streams"][2].erase("dge_trigger");
  CHECK(program_from_json(j).streams[2].dge == DgeMode::kSoftware);
  j["streams"][2]["dge_trigger"] = "Sync";
  CHECK(error_of(j) ==
        "$.streams[2].dge_trigger: \"Sync\": only a hwdge queue names the sequencer that commands its DGE "
        "block "
        "(Sync or Scalar)");
  j["streams"][2]["dge"] = "hardware";
  CHECK(error_of(j) == "$.streams[2].dge: unknown DGE mode \"hardware\" (expected none, hwdge or swdge)");
}

TEST_CASE("a tensor's scope is written, and read as shared when absent (older programs)") {
  json j = program_to_json(sample_program());
  CHECK(j["tensors"][3]["scope"] == "private");
  CHECK(j["tensors"][0]["scope"] == "shared");
  j["tensors"][3].erase("scope");
  CHECK(program_from_json(j).tensors[3].scope == TensorScope::kShared);
  j["tensors"][3]["scope"] = "local";
  CHECK(error_of(j) == "$.tensors[3].scope: expected shared or private");
}

TEST_CASE("an instruction with a field named op keeps both its mnemonic and the field") {
  const Operation op =
      TensorTensor{sbuf_ap(DType::kFloat32, 0, 0, 4, {{1, 8}}), sbuf_ap(DType::kFloat32, 32, 0, 4, {{1, 8}}),
                   sbuf_ap(DType::kFloat32, 64, 0, 4, {{1, 8}}), AluOp::kMax};
  const json j = operation_to_json(op);
  CHECK(j.at("opcode") == "tensor_tensor");
  CHECK(j.at("op") == "max");
  CHECK(operation_from_json(j, "$") == op);
}

TEST_CASE("non-finite float fields survive a round trip through JSON text") {
  // JSON has no inf or NaN; a memset to -inf is how a running max starts.
  const float inf = std::numeric_limits<float>::infinity();
  const AccessPattern col = sbuf_ap(DType::kFloat32, 0, 0, 128, {{1, 1}});
  for (float v : {inf, -inf}) {
    const Operation op = Memset{col, v};
    CHECK(operation_from_json(json::parse(operation_to_json(op).dump()), "$") == op);
    const Operation ts = TensorScalar{col, col, AluOp::kMax, imm(v), false, AluOp::kBypass, imm(-v), false};
    CHECK(operation_from_json(json::parse(operation_to_json(ts).dump()), "$") == ts);
  }
  const Operation nan = Memset{col, std::numeric_limits<float>::quiet_NaN()};
  CHECK(std::isnan(
      std::get<Memset>(operation_from_json(json::parse(operation_to_json(nan).dump()), "$")).value));
  CHECK(operation_to_json(Memset{col, -inf}).at("value") == "-inf");
}

TEST_CASE("program JSON writes opcodes as mnemonics and waits and locations inline") {
  const json j = program_to_json(sample_program());
  CHECK(j.at("format") == "trnsim-program-1");
  const json& in = j.at("streams")[2].at("instructions")[1];
  CHECK(in.at("opcode") == "dma_copy");
  CHECK(in.at("waits") == json::array({{1, 1}, {3, 5}}));
  CHECK(in.at("loc") == "kernels/sample.cpp:12");
  CHECK(!j.at("streams")[2].at("instructions")[0].contains("waits"));
  CHECK(!j.at("streams")[2].at("instructions")[0].contains("loc"));
}

TEST_CASE("a program without buffers is accepted") {
  Program p = sample_program();
  json j = program_to_json(p);
  j.erase("buffers");
  p.buffers.clear();
  CHECK(program_from_json(j) == p);
}

TEST_CASE("unknown keys are rejected with their JSON path") {
  json j = program_to_json(sample_program());
  SUBCASE("in an instruction") {
    j["streams"][2]["instructions"][1]["foo"] = 1;
    CHECK(error_of(j) == "$.streams[2].instructions[1].foo: unknown key");
  }
  SUBCASE("at the top level") {
    j["extra"] = true;
    CHECK(error_of(j) == "$.extra: unknown key");
  }
  SUBCASE("in an access pattern") {
    j["streams"][1]["instructions"][0]["src"]["tensor"] = 0;  // only HBM patterns name a tensor
    CHECK(error_of(j) == "$.streams[1].instructions[0].src.tensor: unknown key");
  }
  SUBCASE("in a tensor, semaphore, stream and buffer") {
    json t = j, s = j, st = j, b = j;
    t["tensors"][2]["layout"] = "nchw";
    s["semaphores"][3]["max"] = 1;
    st["streams"][0]["priority"] = 1;
    b["buffers"][1]["align"] = 4;
    CHECK(error_of(t) == "$.tensors[2].layout: unknown key");
    CHECK(error_of(s) == "$.semaphores[3].max: unknown key");
    CHECK(error_of(st) == "$.streams[0].priority: unknown key");
    CHECK(error_of(b) == "$.buffers[1].align: unknown key");
  }
}

TEST_CASE("an unknown mnemonic is rejected with the path of its opcode key") {
  json j = program_to_json(sample_program());
  j["streams"][1]["instructions"][1]["opcode"] = "sem_frobnicate";
  CHECK(error_of(j) == "$.streams[1].instructions[1].opcode: unknown instruction \"sem_frobnicate\"");
  j["streams"][1]["instructions"][1]["opcode"] = 3;
  CHECK(error_of(j) == "$.streams[1].instructions[1].opcode: expected a mnemonic");
}

TEST_CASE("values of the wrong type are rejected with their JSON path") {
  const json good = program_to_json(sample_program());
  json j = good;
  SUBCASE("an integer field given a string") {
    j["streams"][1]["instructions"][1]["sem"] = "three";
    CHECK(error_of(j) == "$.streams[1].instructions[1].sem: expected a number");
  }
  SUBCASE("an integer field given a fraction") {
    j["streams"][2]["instructions"][0]["dst"]["offset"] = 1.5;
    CHECK(error_of(j) == "$.streams[2].instructions[0].dst.offset: expected an integer");
  }
  SUBCASE("an integer out of its field's range") {
    j["streams"][1]["instructions"][1]["sem"] = int64_t{1} << 40;
    CHECK(error_of(j) == "$.streams[1].instructions[1].sem: out of range");
    json k = good;
    k["core_id"] = -1;
    CHECK(error_of(k) == "$.core_id: out of range");
  }
  SUBCASE("an access-pattern stride or count beyond 32 bits") {
    j["streams"][2]["instructions"][0]["dst"]["dims"][0][0] = int64_t{1} << 31;
    CHECK(error_of(j) == "$.streams[2].instructions[0].dst.dims[0]: stride and count must fit 32 bits");
    json k = good;
    k["streams"][2]["instructions"][0]["dst"]["dims"][0][1] = -(int64_t{1} << 31) - 1;
    CHECK(error_of(k) == "$.streams[2].instructions[0].dst.dims[0]: stride and count must fit 32 bits");
  }
  SUBCASE("a boolean field given a number") {
    json a = good;
    a["streams"][1]["instructions"][0] = operation_to_json(TensorScalar{});
    a["streams"][1]["instructions"][0]["reverse0"] = 1;
    CHECK(error_of(a) == "$.streams[1].instructions[0].reverse0: expected true or false");
  }
  SUBCASE("an enum given an unknown name") {
    j["streams"][1]["instructions"][0]["func"] = "exp2";
    CHECK(error_of(j) == "$.streams[1].instructions[0].func: unknown name \"exp2\"");
  }
  SUBCASE("an access pattern given a string") {
    j["streams"][1]["instructions"][0]["dst"] = "sbuf";
    CHECK(error_of(j) == "$.streams[1].instructions[0].dst: expected an object");
  }
  SUBCASE("an access pattern's mem given a number") {
    j["streams"][1]["instructions"][0]["dst"]["mem"] = 1;
    CHECK(error_of(j) == "$.streams[1].instructions[0].dst.mem: expected \"hbm\", \"sbuf\" or \"psum\"");
  }
  SUBCASE("a dims entry that is not a pair") {
    j["streams"][1]["instructions"][0]["dst"]["dims"][0] = json::array({1, 2, 3});
    CHECK(error_of(j) == "$.streams[1].instructions[0].dst.dims[0]: expected [a, b]");
  }
  SUBCASE("the kernel name given a number") {
    j["kernel"] = 5;
    CHECK(error_of(j) == "$.kernel: expected a string");
  }
  SUBCASE("a tensor shape given a string") {
    j["tensors"][0]["shape"] = "4x128";
    CHECK(error_of(j) == "$.tensors[0].shape: expected an array");
  }
  SUBCASE("a tensor shape entry given a string") {
    j["tensors"][0]["shape"][1] = "128";
    CHECK(error_of(j) == "$.tensors[0].shape[1]: expected a number");
  }
  SUBCASE("a semaphore's initial value given a string") {
    j["semaphores"][2]["initial"] = "3";
    CHECK(error_of(j) == "$.semaphores[2].initial: expected a number");
  }
  SUBCASE("the stream list given an object") {
    j["streams"] = json::object();
    CHECK(error_of(j) == "$.streams: expected an array");
  }
  SUBCASE("waits given an object") {
    j["streams"][2]["instructions"][1]["waits"] = json::object({{"sem", 1}});
    CHECK(error_of(j) == "$.streams[2].instructions[1].waits: expected an array");
  }
  SUBCASE("a wait that is not a pair") {
    j["streams"][2]["instructions"][1]["waits"][1] = 4;
    CHECK(error_of(j) ==
          "$.streams[2].instructions[1].waits[1]: expected [sem, at_least] or [sem, at_least, consume]");
  }
  SUBCASE("a wait with four entries") {
    j["streams"][2]["instructions"][1]["waits"][1] = json::array({1, 2, 3, 4});
    CHECK(error_of(j) ==
          "$.streams[2].instructions[1].waits[1]: expected [sem, at_least] or [sem, at_least, consume]");
  }
  SUBCASE("a consuming wait with consume 0") {
    j["streams"][2]["instructions"][1]["waits"][1] = json::array({1, 2, 0});
    CHECK(error_of(j) ==
          "$.streams[2].instructions[1].waits[1][2]: consume must be positive (omit it for a plain wait)");
  }
  SUBCASE("a location without a line number") {
    j["streams"][2]["instructions"][1]["loc"] = "kernels/sample.cpp";
    CHECK(error_of(j) == "$.streams[2].instructions[1].loc: expected file:line");
    j["streams"][2]["instructions"][1]["loc"] = "kernels/sample.cpp:twelve";
    CHECK(error_of(j) == "$.streams[2].instructions[1].loc: expected file:line");
    j["streams"][2]["instructions"][1]["loc"] = 12;
    CHECK(error_of(j) == "$.streams[2].instructions[1].loc: expected file:line");
  }
  SUBCASE("a stream's engine given an unknown name") {
    j["streams"][0]["engine"] = "tpu";
    CHECK(error_of(j) ==
          "$.streams[0].engine: unknown engine \"tpu\" (expected Tensor, Scalar, Vector, GpSimd, Sync, DMA "
          "or CC-core)");
  }
  SUBCASE("a buffer in HBM") {
    j["buffers"][0]["mem"] = "hbm";
    CHECK(error_of(j) == "$.buffers[0].mem: expected sbuf or psum");
  }
  SUBCASE("the wrong format tag") {
    j["format"] = "trnsim-program-2";
    CHECK(error_of(j) == "$.format: expected \"trnsim-program-1\"");
  }
  SUBCASE("a program that is not an object") {
    CHECK(error_of(json::array({1, 2})) == "$: expected an object");
  }
}

TEST_CASE("a stream's engine is written with the profiler's name and read with it or the ISA's short name") {
  const Program p = sample_program();
  json j = program_to_json(p);
  const char* written[] = {"Tensor", "Scalar", "Vector", "GpSimd", "Sync", "DMA", "CC-core"};
  const char* isa_alias[] = {"pe", "act", "dve", "pool", "sp", "dma", "cc"};
  for (size_t si = 0; si < p.streams.size(); ++si) {
    const int e = static_cast<int>(p.streams[si].engine);
    CHECK(j["streams"][si]["engine"] == written[e]);
    j["streams"][si]["engine"] = isa_alias[e];  // as programs written before summary schema 3 have it
  }
  CHECK(program_from_json(j) == p);
  for (int e = 0; e < kNumEngineKinds; ++e) {
    CAPTURE(e);
    CHECK(engine_name(static_cast<Engine>(e)) == written[e]);
    CHECK(engine_from_name(written[e]) == static_cast<Engine>(e));
    CHECK(engine_from_name(isa_alias[e]) == static_cast<Engine>(e));
  }
  CHECK_FALSE(engine_from_name("tensor"));  // names are exact, as the profiler writes them
}

TEST_CASE("missing keys are rejected with the path of the object that lacks them") {
  json j = program_to_json(sample_program());
  SUBCASE("an instruction field") {
    j["streams"][2]["instructions"][1].erase("dst");
    CHECK(error_of(j) == "$.streams[2].instructions[1]: missing key \"dst\"");
  }
  SUBCASE("the opcode key") {
    j["streams"][1]["instructions"][0].erase("opcode");
    CHECK(error_of(j) == "$.streams[1].instructions[0]: missing key \"opcode\"");
  }
  SUBCASE("an access pattern's partitions") {
    j["streams"][1]["instructions"][0]["src"].erase("partitions");
    CHECK(error_of(j) == "$.streams[1].instructions[0].src: missing key \"partitions\"");
  }
  SUBCASE("a stream's completion semaphore") {
    j["streams"][0].erase("completion_sem");
    CHECK(error_of(j) == "$.streams[0]: missing key \"completion_sem\"");
  }
  SUBCASE("the tensor list") {
    j.erase("tensors");
    CHECK(error_of(j) == "$: missing key \"tensors\"");
  }
}

TEST_CASE("unknown dtypes are rejected with their JSON path") {
  json j = program_to_json(sample_program());
  SUBCASE("of a tensor") {
    j["tensors"][1]["dtype"] = "float13";
    CHECK(error_of(j) == "$.tensors[1].dtype: unknown dtype");
  }
  SUBCASE("of an access pattern") {
    j["streams"][2]["instructions"][0]["src"]["dtype"] = "bfloat17";
    CHECK(error_of(j) == "$.streams[2].instructions[0].src.dtype: unknown dtype");
  }
  SUBCASE("given as a number") {
    j["tensors"][0]["dtype"] = 2;
    CHECK(error_of(j) == "$.tensors[0].dtype: unknown dtype");
  }
}

TEST_CASE("dtype aliases are accepted on input and written back canonically") {
  json j = program_to_json(sample_program());
  j["tensors"][0]["dtype"] = "bf16";
  const Program p = program_from_json(j);
  CHECK(p.tensors[0].dtype == DType::kBFloat16);
  CHECK(program_to_json(p).at("tensors")[0].at("dtype") == "bfloat16");
}

TEST_CASE("a consuming wait is written as [sem, at_least, consume] and round-trips") {
  Program p = sample_program();
  p.streams[2].instructions[1].waits = {{1, 1, 1}, {3, 5}};
  const json j = program_to_json(p);
  CHECK(j.at("streams")[2].at("instructions")[1].at("waits") == json::array({{1, 1, 1}, {3, 5}}));
  CHECK(program_from_json(json::parse(j.dump())) == p);
}

TEST_CASE("sequencer instructions round-trip: registers as {\"reg\": id}, immediates as integers") {
  const Operation op = RegOp{5, 6, AluOp::kShiftRight, reg_operand(7)};
  const json j = operation_to_json(op);
  CHECK(j.at("b") == json{{"reg", 7}});
  CHECK(operation_from_json(j, "$") == op);
  const Operation imm_op = RegOp{5, 6, AluOp::kAdd, imm_operand(-3)};
  CHECK(operation_to_json(imm_op).at("b") == -3);
  CHECK(operation_from_json(operation_to_json(imm_op), "$") == imm_op);
  const Operation br = Branch{4, BranchCond::kLt, 2, 10};
  CHECK(operation_to_json(br).at("cond") == "lt");
  CHECK(operation_from_json(operation_to_json(br), "$") == br);
  json bad = operation_to_json(op);
  bad["b"] = json{{"register", 7}};
  CHECK_THROWS_WITH_AS(operation_from_json(bad, "$"), "$.b.register: unknown key", JsonFormatError);
  json bad_cond = operation_to_json(br);
  bad_cond["cond"] = "sometimes";
  CHECK_THROWS_WITH_AS(operation_from_json(bad_cond, "$"), "$.cond: unknown name \"sometimes\"",
                       JsonFormatError);
}

TEST_CASE("the program hash: equal for equal streams, different for any changed field, wait or stream") {
  const Program p = sample_program();
  const uint64_t h = program_hash(p);
  CHECK(program_hash(program_from_json(program_to_json(p))) == h);
  Program located = p;  // where an instruction was emitted is not part of what it does
  located.streams[2].instructions[1].loc.line = 99;
  CHECK(program_hash(located) == h);
  std::vector<Program> changed(7, p);
  const auto edit = [](Instruction& in, auto&& change) {
    Operation op = in.op.get();  // interned operations are immutable: change a copy
    change(op);
    in.op = op;
  };
  edit(changed[0].streams[2].instructions[0], [](Operation& op) { std::get<DmaCopy>(op).src.offset += 1; });
  edit(changed[1].streams[1].instructions[0],
       [](Operation& op) { std::get<Activation>(op).scale = imm(0.25f); });
  changed[2].streams[2].instructions[1].waits[1].at_least = 6;
  changed[3].streams[2].instructions[1].waits[1].consume = 1;
  changed[4].streams[1].instructions[1].counts = false;
  changed[5].streams[1].name = "act2";
  changed[6].tensors[0].shape[0] = 5;
  for (size_t i = 0; i < changed.size(); ++i) {
    CAPTURE(i);
    CHECK(program_hash(changed[i]) != h);
  }
  // Two programs in sequence: the order counts.
  Program other = p;
  other.core_id = 0;
  other.streams.pop_back();
  CHECK(programs_hash({p, other}) != programs_hash({other, p}));
}
