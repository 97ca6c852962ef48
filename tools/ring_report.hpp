// The ring attention section of a run's summary: for each ring step, how long the K and V permutes that
// brought its data were in flight, how much of that no compute engine hid (exposed communication, per
// rank), and the ring's bus bandwidth; built from the collectives section's instances.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace tn::cli {

// `collectives` is timing.collectives; the ring's permutes are the kernel's sequence-th on each CC-core,
// sequence = step - 1.
nlohmann::json ring_report(const nlohmann::json& collectives, int64_t num_workers);

// The lines `trnsim run` prints for it.
std::string ring_report_text(const nlohmann::json& ring);

}  // namespace tn::cli
