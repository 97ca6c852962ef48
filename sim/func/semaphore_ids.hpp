// Semaphore ids index sim::Semaphores unchecked: both runners reject a program that names one that does
// not exist before anything runs.
#pragma once
#include <string>

#include "isa/program.hpp"

namespace tn::sim {

// Throws ExecutionError (its message starting with `prefix`) naming the first stream whose completion
// semaphore, or instruction whose waits, sem_wait or sem_signal, names a semaphore the program lacks.
void check_semaphore_ids(const isa::Program& p, const std::string& prefix);

}  // namespace tn::sim
