// SPDX-License-Identifier: GPL-2.0-or-later
// gearman-analyze --html FILE: one self-contained HTML page (inline SVG, CSS and a little
// JavaScript; a Content-Security-Policy that lets the browser load nothing) with the summary,
// per-function latency distributions, the capture over time, worker lanes, clients, and the
// slowest and stuck jobs. Bounded: aggregates only (bins x (functions + workers)), never an
// element per job. Every number shown carries data-j (its JSON Pointer in the --format json
// report) and data-v (its value there), so a test can compare the page with the JSON.
#pragma once

#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "analyzer.h"
#include "html_series.h"
#include "open_work.h"
#include "report.h"

namespace gan {

struct HtmlInput {
  const Analyzer* analyzer = nullptr;
  const ReportInfo* info = nullptr;
  const OpenWork* open = nullptr;
  const TimeSeries* series = nullptr;
  bool auto_interval = true;               // the bins' width was chosen (no --interval)
  int64_t interval_ns = 0;                 // --interval (or live capture's), when given
  const nlohmann::ordered_json* live = nullptr;  // the report's "live" object, or null
};

std::string html_report(const HtmlInput& in);

// Writes the page into `f` and closes it; false with `err` ("writing page.html: No space left
// on device") when it did not all arrive. `name` is f's path, for the message.
bool write_html_report(FILE* f, const std::string& name, const HtmlInput& in, std::string& err);

}  // namespace gan
