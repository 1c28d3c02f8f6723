// SPDX-License-Identifier: GPL-2.0-or-later
// Capture source: libpcap offline reading of pcap/pcapng files ("-" is stdin), several files read
// as one continuous capture (frame numbers and TCP streams continue across files).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "analyzer.h"

namespace gan {

struct ReadResult {
  bool ok = true;          // false: a file could not be opened (error says which and why)
  std::string error;
};

// Checks that every file opens as a capture (stdin is not checked: it can be read only once).
ReadResult check_inputs(const std::vector<std::string>& files);

// Feeds every frame of every file to `a`. A file that breaks off (truncated or corrupt record)
// ends that file with a warning and the next file is read. `progress(done_bytes, total_bytes)`
// is called now and then when given.
ReadResult read_captures(const std::vector<std::string>& files, Analyzer& a,
                         const std::function<void(uint64_t, uint64_t)>& progress = {});

}  // namespace gan
