#include "tools/child_runs.hpp"

#include <nlohmann/json.hpp>

#include "tools/run_pipeline.hpp"

namespace tn::cli {

using nlohmann::json;

std::string run_report(const std::string& config, const std::string& out_dir, double max_memory_bytes) {
  const auto report = [&]() -> json {
    try {
      RunRequest req;
      req.config = config;
      req.out_dir = out_dir;
      req.progress = false;
      req.max_memory_bytes = max_memory_bytes;
      const RunOutcome o = run_one(req);
      if (!o.passed) {
        // Each failing output's one-line verdict: its mismatch count and worst element.
        std::string message;
        for (const auto& [name, r] : o.summary["numerics"]["outputs"].items()) {
          if (!r["passed"].get<bool>())
            message += (message.empty() ? "" : "; ") + name + ": " + r["detail"].get<std::string>();
        }
        return {
            {"verdict", "FAIL"}, {"line", o.headline + "  numerics FAIL: " + message}, {"message", message}};
      }
      if (!o.compared) {
        const std::string why = "nothing compared: " + o.not_compared;
        return {{"verdict", "SKIP"}, {"line", o.headline + "  " + why}, {"message", why}};
      }
      return {{"verdict", "PASS"}, {"line", o.headline}, {"message", ""}};
    } catch (const std::exception& e) {
      return {{"verdict", "ERROR"}, {"line", e.what()}, {"message", e.what()}};
    }
  };
  return report().dump();
}

void run_in_children(size_t count, int parallel, double timeout_s, const std::function<ChildJob(size_t)>& job,
                     const std::function<void(size_t, CheckResult)>& done) {
  ChildPool pool = ChildPool::forking(parallel, timeout_s, [](const ChildJob& j) {
    return run_report(j.config, j.out_dir, j.max_memory_bytes);
  });
  size_t next = 0;
  while (next < count || !pool.empty()) {
    for (; pool.has_room() && next < count; ++next)
      pool.start(next, job(next));
    for (auto& [item, result] : pool.wait(-1))
      done(item, std::move(result));
  }
}

}  // namespace tn::cli
