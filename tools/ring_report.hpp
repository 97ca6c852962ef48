// The ring attention section of a run's summary: for each ring step, how long the K and V permutes that
// brought its data were in flight, how much of that no compute engine hid (exposed communication, per
// rank), how long they ran during the step before's HBM reduction (the overlap the kernel is built for),
// and the ring's bus bandwidth; built from the collectives section's instances and the kernel's regions.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/sc/timed_run.hpp"

namespace tn::cli {

// `collectives` is timing.collectives; the ring's permutes are the kernel's sequence-th on each CC-core,
// sequence = step - 1. The permutes bringing step s's K/V are issued before step s-1's reduction (step 1's
// during step 0's attention_cte): `regions` (every core's, as the run recorded them) gives each rank's.
nlohmann::json ring_report(const nlohmann::json& collectives, const std::vector<sc::RegionTiming>& regions,
                           int64_t num_workers);

// The lines `trnsim run` prints for it.
std::string ring_report_text(const nlohmann::json& ring);

}  // namespace tn::cli
