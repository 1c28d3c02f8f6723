// SPDX-License-Identifier: GPL-2.0-or-later
// gearman-analyze -i IFACE: live capture into the analyzer, interval statistics written as they
// become final (the terminal screen, plain lines, JSON lines or CSV rows), until --duration,
// SIGINT/SIGTERM, 'q' on the screen, or the end of the capture. The final report is the
// caller's, as for files.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "analyzer.h"
#include "open_work.h"
#include "interval_report.h"

namespace gan {

struct LiveConfig {
  std::string iface;
  std::string filter;        // BPF; "" = every packet
  std::string save;          // -w FILE, or ""
  std::string format;        // text, json, csv
  double duration_s = 0;     // 0: until stopped
  int64_t interval_ns = 1'000'000'000;
  size_t top = 10;
  bool screen = false;       // draw the terminal screen (text on a terminal)
  bool quiet = false;        // -q: no intervals written (and no report)
  bool color = true;         // NO_COLOR unset
  FILE* out = stdout;        // intervals go here
  // Also sees each interval as it becomes final (the HTML report's time axis), before it is
  // written; with keep_histograms, it carries its total-time histograms.
  std::function<void(Interval&)> on_interval;
  bool keep_histograms = false;
};

struct LiveResult {
  int exit_code = -1;        // >= 0: failed (message written)
  OpenWork open;             // at the end
  nlohmann::ordered_json live;  // the report's "live" object
  std::string live_text;     // ... as a text line
};

// Runs the capture into `a`; returns with `a` finished.
LiveResult run_live(Analyzer& a, const LiveConfig& c);

}  // namespace gan
