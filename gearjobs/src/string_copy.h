// Copying wire bytes into a std::string the engine keeps (a job's handle and unique ID, a pending
// submit's unique ID).
#pragma once

#include <string>

#include "gearproto/bytes.h"

namespace gearjobs {

// std::string::assign takes the general way (_M_replace: overlap checks, a possible reallocation
// in the middle) at every job; these strings keep their capacity from one job to the next
// (Job::clear_for_reuse, the submit queue's slots), so a clear and an append is a copy and a length.
inline void copy_bytes(std::string& s, gearproto::Bytes b) {
  s.clear();
  s.append(b.data(), b.size());
}

}  // namespace gearjobs
