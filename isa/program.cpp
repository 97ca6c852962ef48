#include "isa/program.hpp"

namespace tn::isa {

int64_t TensorDecl::num_elements() const {
  int64_t n = 1;
  for (int64_t s : shape)
    n *= s;
  return n;
}

size_t Program::num_instructions() const {
  size_t n = 0;
  for (const auto& s : streams)
    n += s.instructions.size();
  return n;
}

int32_t Program::find_tensor(std::string_view name) const {
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].name == name)
      return static_cast<int32_t>(i);
  }
  return -1;
}

int32_t Program::find_engine_stream(Engine engine) const {
  for (size_t i = 0; i < streams.size(); ++i) {
    if (streams[i].engine == engine)
      return static_cast<int32_t>(i);
  }
  return -1;
}

std::string_view tensor_scope_name(TensorScope s) { return s == TensorScope::kShared ? "shared" : "private"; }

std::string_view tensor_kind_name(TensorKind k) {
  switch (k) {
    case TensorKind::kInput:
      return "input";
    case TensorKind::kOutput:
      return "output";
    case TensorKind::kInternal:
      return "internal";
  }
  return "?";
}

}  // namespace tn::isa
