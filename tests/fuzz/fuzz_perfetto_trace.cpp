// libFuzzer target: the Perfetto trace reader (traces/perfetto_trace_reader): decoding, the checker and the
// summary `trnsim report` and the tests read traces with. The input is a trace file's bytes.
#include "tests/fuzz/fuzz_support.hpp"
#include "traces/perfetto_trace_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tn;
  const std::string_view bytes = fuzz::bytes_of(data, size);
  fuzz::refused_or_accepted([&] {
    const trace::DecodedTrace decoded = trace::decode_perfetto_trace(bytes);
    trace::check_perfetto_trace(decoded);
    trace::summarize_perfetto_trace(decoded).to_string();
  });
  // The streaming forms, as a report reads a large trace.
  fuzz::refused_or_accepted([&] { trace::check_perfetto_trace_bytes(bytes, 10); });
  fuzz::refused_or_accepted([&] { trace::summarize_perfetto_trace_bytes(bytes); });
  return 0;
}
