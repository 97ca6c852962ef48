// The kernel builder: on-chip allocation, per-engine emission, and the semaphore waits it derives.
// Stream (and completion semaphore) indices: pe 0, act 1, dve 2, pool 3, sp 4, then DMA queues in order
// of first use.
#include "kernels/builder/program_builder.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "isa/program_json.hpp"
#include "isa/validator.hpp"

namespace {

using namespace tn;
using namespace tn::isa;
using namespace tn::kernels;

const MemoryLimits kLimits{};
constexpr int32_t kPeS = 0, kActS = 1, kDveS = 2, kPoolS = 3;
const char* const kThisFile = "tests/unit/program_builder_test.cpp";

using Waits = std::vector<SemCondition>;

const Instruction& at(const Program& p, int32_t stream, int32_t index) {
  return p.streams.at(stream).instructions.at(index);
}

const BufferLifetime* find_buffer(const Program& p, const std::string& name) {
  for (const auto& b : p.buffers) {
    if (b.name == name)
      return &b;
  }
  return nullptr;
}

std::string issues_text(const Program& p) {
  std::string out;
  for (const auto& i : validate(p, kLimits))
    out += i.to_string() + "\n";
  return out;
}

// An HBM tensor view [128, cols] of a [128, cols] tensor.
AccessPattern hbm_rows(int32_t tensor, DType t, int64_t cols) {
  return hbm_ap(tensor, t, 0, {cols, 128}, {{1, cols}});
}

}  // namespace

TEST_CASE("the builder creates one stream and completion semaphore per engine and per DMA queue") {
  ProgramBuilder b("streams", kLimits);
  CHECK(b.dma_queue("qIn") == 5);
  CHECK(b.dma_queue("qOut") == 6);
  CHECK(b.dma_queue("qIn") == 5);
  const Program p = b.finish();
  REQUIRE(p.streams.size() == 7);
  // An engine's stream and its completion semaphore carry the profiler's name for the engine.
  const char* names[] = {"Tensor", "Scalar", "Vector", "GpSimd", "Sync", "qIn", "qOut"};
  for (int32_t i = 0; i < 7; ++i) {
    CHECK(p.streams[i].name == names[i]);
    CHECK(p.streams[i].completion_sem == i);
    CHECK(p.semaphores.at(i).name == names[i]);
    CHECK(p.semaphores.at(i).initial == 0);
  }
  CHECK(p.streams[kPeS].engine == Engine::kPe);
  CHECK(p.streams[5].engine == Engine::kDma);
  CHECK(b.engine_stream(Engine::kPool) == kPoolS);
}

TEST_CASE("a DMA queue keeps the DGE mode it was created with") {
  ProgramBuilder b("dge", kLimits);
  const int32_t hw = b.dma_queue("qDyn", DgeMode::kHardware, Engine::kAct);
  const int32_t sw = b.dma_queue("qSw", DgeMode::kSoftware, Engine::kAct);  // only hwdge names a sequencer
  CHECK(b.dma_queue("qDyn", DgeMode::kHardware, Engine::kAct) == hw);
  CHECK_THROWS_WITH_AS(b.dma_queue("qDyn"), "DMA queue 'qDyn' is hwdge, not none", std::logic_error);
  CHECK_THROWS_AS(b.dma_queue("qDyn", DgeMode::kHardware, Engine::kSp), std::logic_error);
  const Program p = b.finish();
  CHECK(p.streams[size_t(hw)].dge == DgeMode::kHardware);
  CHECK(p.streams[size_t(hw)].dge_trigger == Engine::kAct);
  CHECK(p.streams[size_t(sw)].dge == DgeMode::kSoftware);
  CHECK(p.streams[size_t(sw)].dge_trigger == Engine::kSp);
  CHECK(p.streams[kPeS].dge == DgeMode::kNone);
}

TEST_CASE("a load -> DVE -> ACT -> store chain waits on each producer's completion semaphore") {
  ProgramBuilder b("chain", kLimits);
  const int32_t x = b.hbm_tensor("x", DType::kBFloat16, {128, 256}, TensorKind::kInput);
  const int32_t y = b.hbm_tensor("y", DType::kBFloat16, {128, 256}, TensorKind::kOutput);
  const int32_t q_in = b.dma_queue("qIn"), q_out = b.dma_queue("qOut");
  const Buffer a = b.sbuf("a", DType::kBFloat16, 128, {256});
  const Buffer c = b.sbuf("c", DType::kFloat32, 128, {256});
  const Buffer d = b.sbuf("d", DType::kBFloat16, 128, {256});
  b.dma_copy(q_in, a.ap, hbm_rows(x, DType::kBFloat16, 256));
  b.tensor_scalar(c.ap, a.ap, AluOp::kMultiply, imm(2.0f));
  b.activation(d.ap, c.ap, ActFunc::kExp);
  b.dma_copy(q_out, hbm_rows(y, DType::kBFloat16, 256), d.ap);
  const Program p = b.finish();
  CHECK(p.num_instructions() == 4);
  CHECK(at(p, q_in, 0).waits == Waits{});
  CHECK(at(p, kDveS, 0).waits == Waits{{q_in, 1}});
  CHECK(at(p, kActS, 0).waits == Waits{{kDveS, 1}});
  CHECK(at(p, q_out, 0).waits == Waits{{kActS, 1}});
  INFO(issues_text(p));
  CHECK(validate(p, kLimits).empty());
}

TEST_CASE("waits already satisfied by an earlier wait of the same stream are skipped") {
  ProgramBuilder b("redundant", kLimits);
  const int32_t x = b.hbm_tensor("x", DType::kFloat32, {128, 64}, TensorKind::kInput);
  const int32_t q = b.dma_queue("q");
  const Buffer a = b.sbuf("a", DType::kFloat32, 128, {64});
  const Buffer a2 = b.sbuf("a2", DType::kFloat32, 128, {64});
  const Buffer c = b.sbuf("c", DType::kFloat32, 128, {64});
  const Buffer e = b.sbuf("e", DType::kFloat32, 128, {64});
  b.dma_copy(q, a.ap, hbm_rows(x, DType::kFloat32, 64));   // q[0]
  b.dma_copy(q, a2.ap, hbm_rows(x, DType::kFloat32, 64));  // q[1]
  b.tensor_copy(c.ap, a.ap);                               // dve[0]: q >= 1
  b.tensor_copy(e.ap, a.ap);                               // dve[1]: nothing new
  b.tensor_tensor(e.ap, a2.ap, c.ap, AluOp::kAdd);         // dve[2]: q >= 2 only
  b.activation(c.ap, a.ap, ActFunc::kCopy);                // act[0]: q >= 1 and WAR/WAW on dve[2]
  b.activation(e.ap, a2.ap, ActFunc::kCopy);               // act[1]: q >= 2; dve already waited for
  const Program p = b.finish();
  CHECK(at(p, kDveS, 0).waits == Waits{{q, 1}});
  CHECK(at(p, kDveS, 1).waits == Waits{});
  CHECK(at(p, kDveS, 2).waits == Waits{{q, 2}});
  CHECK(at(p, kActS, 0).waits == Waits{{kDveS, 3}, {q, 1}});
  CHECK(at(p, kActS, 1).waits == Waits{{q, 2}});
  CHECK(validate(p, kLimits).empty());
}

TEST_CASE("a compute engine needs no wait for its own earlier results") {
  ProgramBuilder b("same_engine", kLimits);
  const Buffer a = b.sbuf("a", DType::kFloat32, 64, {32});
  const Buffer c = b.sbuf("c", DType::kFloat32, 64, {32});
  b.memset(a.ap, 1.0f);
  b.tensor_copy(c.ap, a.ap);
  b.tensor_scalar(a.ap, c.ap, AluOp::kAdd, imm(1.0f));
  b.iota(with_dtype(c.ap, DType::kInt32), 0, 1, {1, 0, 0, 0});
  b.affine_select(c.ap, c.ap, 0, 1, {-1, 0, 0, 0}, CmpOp::kGe, kFmin);
  const Program p = b.finish();
  for (const auto& in : p.streams[kDveS].instructions)
    CHECK(in.waits.empty());
  CHECK(at(p, kPoolS, 0).waits == Waits{{kDveS, 3}});
  CHECK(at(p, kPoolS, 1).waits.empty());
}

TEST_CASE("a DMA queue waits for its own earlier transfers it depends on") {
  ProgramBuilder b("dma_self", kLimits);
  const int32_t x = b.hbm_tensor("x", DType::kBFloat16, {128, 64}, TensorKind::kInput);
  const int32_t y = b.hbm_tensor("y", DType::kBFloat16, {128, 64}, TensorKind::kOutput);
  const int32_t q = b.dma_queue("q");
  const Buffer a = b.sbuf("a", DType::kBFloat16, 128, {64});
  const Buffer other = b.sbuf("other", DType::kBFloat16, 128, {64});
  b.dma_copy(q, a.ap, hbm_rows(x, DType::kBFloat16, 64));      // q[0]
  b.dma_copy(q, other.ap, hbm_rows(x, DType::kBFloat16, 64));  // q[1]: independent (reads of x only)
  b.dma_copy(q, hbm_rows(y, DType::kBFloat16, 64), a.ap);      // q[2]: RAW on q[0]
  b.dma_copy(q, hbm_rows(y, DType::kBFloat16, 64), other.ap);  // q[3]: RAW on q[1], WAW on q[2]
  const Program p = b.finish();
  CHECK(at(p, q, 0).waits.empty());
  CHECK(at(p, q, 1).waits.empty());
  CHECK(at(p, q, 2).waits == Waits{{q, 1}});
  CHECK(at(p, q, 3).waits == Waits{{q, 3}});
}

TEST_CASE("a DMA whose source and destination overlap does not wait for itself") {
  ProgramBuilder b("dma_overlap", kLimits);
  const int32_t q = b.dma_queue("q");
  const Buffer a = b.sbuf("a", DType::kBFloat16, 128, {256});
  b.memset(a.ap, 0.0f);
  b.dma_copy(q, columns(a.ap, 0, 128), columns(a.ap, 64, 128));
  b.dma_copy(q, columns(a.ap, 128, 128), columns(a.ap, 0, 128));
  const Program p = b.finish();
  CHECK(at(p, q, 0).waits == Waits{{kDveS, 1}});
  // The second reads what the first wrote and overwrites what the first read.
  CHECK(at(p, q, 1).waits == Waits{{q, 1}});
}

TEST_CASE("reusing a buffer waits for the readers of its previous contents") {
  ProgramBuilder b("war", kLimits);
  const int32_t x = b.hbm_tensor("x", DType::kFloat32, {128, 64}, TensorKind::kInput);
  const int32_t q = b.dma_queue("q");
  const Buffer a = b.sbuf("a", DType::kFloat32, 128, {64});
  const Buffer c = b.sbuf("c", DType::kFloat32, 128, {64});
  const Buffer e = b.sbuf("e", DType::kFloat32, 128, {64});
  b.dma_copy(q, a.ap, hbm_rows(x, DType::kFloat32, 64));  // q[0]
  b.tensor_copy(c.ap, a.ap);                              // dve[0]
  b.activation(e.ap, a.ap, ActFunc::kExp);                // act[0]
  b.dma_copy(q, a.ap, hbm_rows(x, DType::kFloat32, 64));  // q[1]: WAR on dve[0] and act[0], WAW on q[0]
  const Program p = b.finish();
  CHECK(at(p, q, 1).waits == Waits{{kActS, 1}, {kDveS, 1}, {q, 1}});
}

TEST_CASE("memory released to a mark and allocated again waits for its previous users") {
  ProgramBuilder b("release", kLimits);
  const Buffer keep = b.sbuf("keep", DType::kFloat32, 128, {16});
  const auto mark = b.mark();
  const Buffer t1 = b.sbuf("t1", DType::kFloat32, 128, {64});
  b.memset(t1.ap, 2.0f, Engine::kPool);           // pool[0]
  b.tensor_copy(keep.ap, columns(t1.ap, 0, 16));  // dve[0]
  b.release(mark);
  const Buffer t2 = b.sbuf("t2", DType::kBFloat16, 128, {128});
  CHECK(t2.ap.offset == t1.ap.offset);
  b.activation(t2.ap, t2.ap, ActFunc::kCopy);  // act[0]: RAW/WAW on pool[0], WAR on dve[0]
  const Program p = b.finish();
  CHECK(at(p, kActS, 0).waits == Waits{{kDveS, 1}, {kPoolS, 1}});
}

TEST_CASE("matmul emits load_stationary then multiply_moving on the pe stream") {
  ProgramBuilder b("mm", kLimits);
  const Buffer w = b.sbuf("w", DType::kBFloat16, 128, {128});
  const Buffer x = b.sbuf("x", DType::kBFloat16, 128, {512});
  const Buffer acc = b.psum("acc", DType::kFloat32, 128, {512});
  b.memset(w.ap, 1.0f);
  b.memset(x.ap, 1.0f);
  const uint32_t line = __LINE__ + 1;
  b.matmul(acc.ap, w.ap, x.ap, true);
  const Program p = b.finish();
  REQUIRE(p.streams[kPeS].instructions.size() == 2);
  CHECK(at(p, kPeS, 0).op.get() == Operation(LoadStationary{w.ap}));
  CHECK(at(p, kPeS, 1).op.get() == Operation(MultiplyMoving{acc.ap, x.ap, true}));
  CHECK(at(p, kPeS, 0).waits == Waits{{kDveS, 1}});
  CHECK(at(p, kPeS, 1).waits == Waits{{kDveS, 2}});
  for (int i = 0; i < 2; ++i)
    CHECK(at(p, kPeS, i).loc == SourceLocation{kThisFile, line});
  CHECK(validate(p, kLimits).empty());
}

TEST_CASE("SBUF overflow throws AllocationError naming the kernel line") {
  ProgramBuilder b("overflow", kLimits);
  b.sbuf("fits", DType::kFloat32, 128, {kLimits.sbuf_partition_bytes / 4 - 64});
  std::string message;
  const uint32_t line = __LINE__ + 2;
  try {
    b.sbuf("huge", DType::kFloat32, 128, {65});
  } catch (const AllocationError& e) {
    message = e.what();
  }
  CHECK(message.rfind(
            std::string(kThisFile) + ":" + std::to_string(line) + ": SBUF overflow allocating 'huge'", 0) ==
        0);
  // Exactly filling the partition is fine.
  CHECK_NOTHROW(b.sbuf("last", DType::kFloat32, 128, {64}));
}

TEST_CASE("SBUF allocation honours alignment and the high-water mark") {
  ProgramBuilder b("align", kLimits);
  const Buffer a = b.sbuf("a", DType::kBFloat16, 128, {3});
  const Buffer c = b.sbuf("c", DType::kBFloat16, 128, {4}, 64);
  CHECK(a.ap.offset == 0);
  CHECK(c.ap.offset == 64);
  const auto m = b.mark();
  b.sbuf("d", DType::kFloat32, 128, {100});
  b.release(m);
  CHECK(b.sbuf_high_water() == 72 + 400);
  CHECK(b.sbuf("e", DType::kBFloat16, 1, {1}).ap.offset == 72);
}

TEST_CASE("buffers have row-major access patterns over their partitions") {
  ProgramBuilder b("shape", kLimits);
  const Buffer a = b.sbuf("a", DType::kFloat16, 96, {3, 4, 5});
  CHECK(a.ap.mem == MemKind::kSbuf);
  CHECK(a.ap.dtype == DType::kFloat16);
  CHECK(a.ap.num_partitions == 96);
  CHECK(a.ap.start_partition == 0);
  CHECK(a.ap.ndim == 3);
  CHECK(a.ap.dims[0] == ApDim{20, 3});
  CHECK(a.ap.dims[1] == ApDim{5, 4});
  CHECK(a.ap.dims[2] == ApDim{1, 5});
  CHECK(a.ap.free_contiguous());
  CHECK_THROWS_AS(b.sbuf("none", DType::kFloat16, 4, {}), AllocationError);
  CHECK_THROWS_AS(b.sbuf("five", DType::kFloat16, 4, {1, 1, 1, 1, 1}), AllocationError);
  CHECK_THROWS_AS(b.sbuf("wide", DType::kFloat16, 129, {1}), AllocationError);
  CHECK_THROWS_AS(b.sbuf("empty", DType::kFloat16, 4, {0}), AllocationError);
}

TEST_CASE("PSUM buffers never cross a 2 KiB bank") {
  ProgramBuilder b("psum", kLimits);
  const int64_t bank = kLimits.psum_bank_bytes;
  int64_t top = 0;
  for (int64_t n : {384, 256, 150, 512, 1, 511, 2, 100, 300, 512}) {
    const Buffer buf = b.psum("p", DType::kFloat32, 128, {n});
    const int64_t first = buf.ap.offset, last = buf.ap.offset + 4 * n - 1;
    CAPTURE(n);
    CHECK(buf.ap.mem == MemKind::kPsum);
    CHECK(first / bank == last / bank);
    CHECK(first >= top);  // no overlap with earlier buffers
    top = last + 1;
  }
  CHECK_THROWS_AS(b.psum("too_big", DType::kBFloat16, 128, {1025}), AllocationError);
}

TEST_CASE("PSUM overflow throws AllocationError") {
  ProgramBuilder b("psum_full", kLimits);
  for (int i = 0; i < 8; ++i)
    b.psum("bank", DType::kFloat32, 128, {512});
  CHECK_THROWS_AS(b.psum("ninth", DType::kFloat32, 128, {1}), AllocationError);
}

TEST_CASE("psum_at_bank places a buffer at the start of the bank and rejects banks that do not exist") {
  ProgramBuilder b("psum_bank", kLimits);
  CHECK(b.psum_at_bank("acc", 5, DType::kFloat32, 128, {512}).ap.offset == 5 * 2048);
  CHECK_THROWS_AS(b.psum_at_bank("acc", 8, DType::kFloat32, 128, {512}), AllocationError);
  CHECK_THROWS_AS(b.psum_at_bank("acc", -1, DType::kFloat32, 128, {512}), AllocationError);
  CHECK_THROWS_AS(b.psum_at_bank("acc", 0, DType::kFloat32, 128, {513}), AllocationError);
}

TEST_CASE("instructions record project-relative source locations") {
  ProgramBuilder b("loc", kLimits);
  const Buffer a = b.sbuf("a", DType::kFloat32, 32, {8});
  const uint32_t line = __LINE__ + 1;
  b.memset(a.ap, 0.0f);
  b.emit(b.engine_stream(Engine::kSp), SemSignal{0, 1}, std::source_location::current());
  const Program p = b.finish();
  CHECK(at(p, kDveS, 0).loc == SourceLocation{kThisFile, line});
  CHECK(at(p, 4, 0).loc.file == kThisFile);
  CHECK(at(p, 4, 0).loc.line == line + 1);
}

TEST_CASE("buffer lifetimes record the first and last instruction touching each buffer") {
  ProgramBuilder b("lifetimes", kLimits);
  const int32_t x = b.hbm_tensor("x", DType::kFloat32, {128, 64}, TensorKind::kInput);
  const int32_t q = b.dma_queue("q");
  const Buffer a = b.sbuf("a", DType::kFloat32, 128, {64});
  b.sbuf("unused", DType::kFloat32, 128, {64});
  const Buffer c = b.sbuf("c", DType::kFloat32, 128, {64});
  const Buffer acc = b.psum("acc", DType::kFloat32, 128, {64});
  b.dma_copy(q, a.ap, hbm_rows(x, DType::kFloat32, 64));  // q[0]
  b.tensor_copy(c.ap, columns(a.ap, 8, 8));               // dve[0]
  b.activation(acc.ap, c.ap, ActFunc::kExp);              // act[0]
  b.tensor_copy(a.ap, acc.ap);                            // dve[1]
  const Program p = b.finish();
  CHECK(find_buffer(p, "unused") == nullptr);
  const BufferLifetime* la = find_buffer(p, "a");
  const BufferLifetime* lc = find_buffer(p, "c");
  const BufferLifetime* lacc = find_buffer(p, "acc");
  REQUIRE(la);
  REQUIRE(lc);
  REQUIRE(lacc);
  CHECK(la->first == InstrRef{q, 0});
  CHECK(la->last == InstrRef{kDveS, 1});
  CHECK(la->mem == MemKind::kSbuf);
  CHECK(la->offset == a.ap.offset);
  CHECK(la->bytes_per_partition == 256);
  CHECK(la->partitions == 128);
  CHECK(lc->first == InstrRef{kDveS, 0});
  CHECK(lc->last == InstrRef{kActS, 0});
  CHECK(lacc->mem == MemKind::kPsum);
  CHECK(lacc->first == InstrRef{kActS, 0});
  CHECK(lacc->last == InstrRef{kDveS, 1});
}

TEST_CASE("a released buffer's lifetime ends with its own last use, not with later buffers over it") {
  ProgramBuilder b("lifetimes_release", kLimits);
  b.sbuf("pad", DType::kBFloat16, 1, {2});  // [0, 4)
  const auto mark = b.mark();
  const Buffer big = b.sbuf("big", DType::kBFloat16, 32, {1000});  // [4, 2004)
  b.memset(big.ap, 0.0f);                                          // dve[0]
  b.release(mark);
  const Buffer aligned = b.sbuf("aligned", DType::kBFloat16, 32, {10}, 1024);  // [1024, 1044), inside big
  b.memset(aligned.ap, 1.0f);                                                  // dve[1]
  const Program p = b.finish();
  REQUIRE(find_buffer(p, "big"));
  REQUIRE(find_buffer(p, "aligned"));
  CHECK(find_buffer(p, "big")->last == InstrRef{kDveS, 0});
  CHECK(find_buffer(p, "aligned")->first == InstrRef{kDveS, 1});
}

TEST_CASE("views of buffers select columns, partitions, reshapes and dtypes") {
  ProgramBuilder b("views", kLimits);
  const Buffer a = b.sbuf("a", DType::kBFloat16, 128, {4, 64}, 256);
  const AccessPattern col = columns(a.ap, 10, 20);
  CHECK(col.offset == a.ap.offset + 20);
  CHECK(col.dims[1] == ApDim{1, 20});
  CHECK(col.dims[0] == ApDim{64, 4});
  const AccessPattern part = partitions(a.ap, 32, 32);
  CHECK(part.start_partition == 32);
  CHECK(part.num_partitions == 32);
  const AccessPattern flat = reshape(a.ap, 64, {{1, 128}});
  CHECK(flat.offset == a.ap.offset + 128);
  CHECK(flat.ndim == 1);
  CHECK(flat.free_size() == 128);
  CHECK(with_dtype(a.ap, DType::kFloat32).dtype == DType::kFloat32);
  const AccessPattern h = hbm_ap(0, DType::kFloat32, 0, {256, 128}, {{1, 256}});
  CHECK(columns(h, 3, 5).offset == 3);
  CHECK(partitions(h, 2, 4).offset == 512);
}

TEST_CASE("a reshaped view equals the same view decoded from JSON") {
  // Free dims past ndim must not keep stale values, or a JSON round trip would not be the identity.
  ProgramBuilder b("reshape", kLimits);
  const Buffer a = b.sbuf("a", DType::kBFloat16, 128, {4, 64});
  const AccessPattern flat = reshape(a.ap, 0, {{1, 256}});
  CHECK(flat == sbuf_ap(DType::kBFloat16, a.ap.offset, 0, 128, {{1, 256}}));
  const Operation op = TensorCopy{flat, flat};
  CHECK(operation_from_json(operation_to_json(op), "$") == op);
}

TEST_CASE("regions record each stream's instruction range, streams created inside them included") {
  ProgramBuilder b("regions", kLimits);
  const int32_t x = b.hbm_tensor("x", DType::kFloat32, {128, 4}, TensorKind::kInput);
  const Buffer s = b.sbuf("s", DType::kFloat32, 128, {4});
  b.memset(s.ap, 0.0f);
  const int32_t outer = b.begin_region("outer");
  const int32_t q = b.dma_queue("q");  // created inside: its range starts at 0
  b.dma_copy(q, s.ap, hbm_rows(x, DType::kFloat32, 4));
  const int32_t inner = b.begin_region("inner");
  b.tensor_scalar(s.ap, s.ap, AluOp::kAdd, imm(1.0f));
  b.end_region(inner);
  b.end_region(outer);
  const Program p = b.finish();
  REQUIRE(p.regions.size() == 2);
  CHECK(p.regions[0].name == "outer");
  CHECK(p.regions[0].ranges[size_t(kDveS)] == std::pair<int32_t, int32_t>{1, 2});
  CHECK(p.regions[0].ranges[size_t(q)] == std::pair<int32_t, int32_t>{0, 1});
  CHECK(p.regions[1].ranges[size_t(q)] == std::pair<int32_t, int32_t>{1, 1});  // nothing on q inside
  CHECK(validate(p, kLimits).empty());
  CHECK(program_from_json(program_to_json(p)) == p);
  Program bad = p;
  bad.regions[1].ranges[size_t(kDveS)] = {1, 9};
  CHECK(issues_text(bad).find("region 'inner': range [1, 9) is outside stream Vector") != std::string::npos);
}

TEST_CASE("a finished program with every kind of instruction passes the validator and round-trips") {
  ProgramBuilder b("everything", kLimits);
  const int32_t x = b.hbm_tensor("x", DType::kBFloat16, {128, 128}, TensorKind::kInput);
  const int32_t y = b.hbm_tensor("y", DType::kFloat32, {128, 128}, TensorKind::kOutput);
  const int32_t q = b.dma_queue("q"), q2 = b.dma_queue("q2");
  const Buffer xs = b.sbuf("xs", DType::kBFloat16, 128, {128});
  const Buffer xt = b.sbuf("xt", DType::kBFloat16, 128, {128});
  const Buffer s = b.sbuf("s", DType::kFloat32, 128, {128});
  const Buffer col = b.sbuf("col", DType::kFloat32, 128, {1});
  const Buffer col2 = b.sbuf("col2", DType::kFloat32, 128, {1});
  const Buffer idx = b.sbuf("idx", DType::kFloat32, 128, {1});
  const Buffer acc = b.psum("acc", DType::kFloat32, 128, {128});
  const Buffer tp = b.psum("tp", DType::kBFloat16, 128, {128});
  b.dma_copy(q, xs.ap, hbm_rows(x, DType::kBFloat16, 128));
  b.dma_transpose(q2, xt.ap, hbm_rows(x, DType::kBFloat16, 128));
  b.pe_transpose(tp.ap, xs.ap);
  b.matmul(acc.ap, xt.ap, xs.ap, false);
  b.activation(s.ap, acc.ap, ActFunc::kExp, imm(0.5f), {}, some(col.ap));
  b.tensor_reduce(col2.ap, s.ap, AluOp::kMax, true);
  b.reciprocal(col.ap, col2.ap);
  b.tensor_scalar(s.ap, s.ap, AluOp::kMultiply, column(col.ap), AluOp::kAdd, imm(1.0f));
  b.scalar_tensor_tensor(s.ap, s.ap, AluOp::kSubtract, column(col2.ap), AluOp::kMultiply, s.ap);
  b.iota(idx.ap, 0, 1, {0, 0, 0, 0});
  b.range_select(s.ap, s.ap, CmpOp::kGe, idx.ap, CmpOp::kLt, idx.ap, 0.0f, kFmin, some(col.ap));
  b.tensor_scalar_reduce(s.ap, s.ap, AluOp::kAdd, imm(1.0f), AluOp::kAdd, col.ap);
  b.tensor_tensor(s.ap, s.ap, tp.ap, AluOp::kAdd);
  b.affine_select(xs.ap, xs.ap, 0, 1, {-1, 0, 0, 0}, CmpOp::kGe, 0.0f);
  b.dma_copy(q2, hbm_rows(y, DType::kFloat32, 128), s.ap);
  const Program p = b.finish();
  INFO(issues_text(p));
  CHECK(validate(p, kLimits).empty());
  CHECK(program_from_json(program_to_json(p)) == p);
  for (const auto& st : p.streams) {
    for (const auto& in : st.instructions) {
      CHECK(in.loc.file == kThisFile);
      // In-order compute engines never wait on themselves.
      if (st.engine != Engine::kDma) {
        for (const auto& w : in.waits)
          CHECK(w.sem != st.completion_sem);
      }
    }
  }
}

TEST_CASE(
    "a collective issued after a region waits for each of its streams, one issued without for its data") {
  ProgramBuilder b("trigger", kLimits);
  const int32_t x = b.hbm_tensor("x", DType::kFloat32, {128, 4}, TensorKind::kInput);
  const int32_t send = b.hbm_tensor("send", DType::kFloat32, {128, 4}, TensorKind::kInternal);
  const int32_t recv = b.hbm_tensor("recv", DType::kFloat32, {128, 4}, TensorKind::kInternal);
  const int32_t q = b.dma_queue("q");
  const int32_t group = b.replica_group({{0, 1}});
  b.dma_copy(q, hbm_rows(send, DType::kFloat32, 4), hbm_rows(x, DType::kFloat32, 4));
  const int32_t work = b.begin_region("work");
  const Buffer s = b.sbuf("s", DType::kFloat32, 128, {4});
  b.memset(s.ap, 0.0f);
  b.tensor_scalar(s.ap, s.ap, AluOp::kAdd, imm(1.0f));
  b.activation(s.ap, s.ap, ActFunc::kCopy);
  b.end_region(work);
  const int32_t cc = b.cc_core(0);
  // Without a trigger the permute needs only its source's DMA; with one, also the region's last
  // instruction of every stream that emitted in it (DVE's add, its second, and ACT's copy).
  b.collective_permute(cc, hbm_rows(recv, DType::kFloat32, 4), hbm_rows(send, DType::kFloat32, 4), group);
  b.collective_permute(cc, hbm_rows(recv, DType::kFloat32, 4), hbm_rows(send, DType::kFloat32, 4), group, 0,
                       b.region_end(work));
  const Program p = b.finish();
  CHECK(at(p, cc, 0).waits == Waits{{q, 1}});
  Waits second(at(p, cc, 1).waits.begin(), at(p, cc, 1).waits.end());
  std::sort(second.begin(), second.end(), [](const auto& a, const auto& c) { return a.sem < c.sem; });
  Waits expected{{kActS, 1}, {kDveS, 2}};
  std::sort(expected.begin(), expected.end(), [](const auto& a, const auto& c) { return a.sem < c.sem; });
  CHECK(second == expected);
  CHECK(validate(p, kLimits).empty());
}
