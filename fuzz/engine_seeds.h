// Seed scripts for fuzz_engine: the job lifecycles of docs and captures, written step by step.
#pragma once

#include <string>
#include <vector>

namespace enginefuzz {

// Each script in several configurations (keep/recycle, caps, timings).
std::vector<std::string> seed_scripts();

}  // namespace enginefuzz
