// SPDX-License-Identifier: GPL-2.0-or-later
// The HTML report's charts, as inline SVG (svg.h): a latency distribution on a log time axis
// with its percentiles marked, series over time (stacked areas and lines on a UTC axis), worker
// lanes, and a stacked outcome bar. Each chart's size is bounded by its bins and series, never
// by the number of jobs. Series carry their values per bin in data-v (what the hover script
// shows and the test compares with the JSON report); colours are CSS classes (html_assets.cpp):
// the Okabe-Ito palette, light and dark.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "histogram.h"

namespace gan::html {

constexpr double kNone = std::numeric_limits<double>::quiet_NaN();

// One latency distribution (queue, run or total) of a function.
struct Distribution {
  const char* name = "";            // "queue", "run", "total"
  const char* css = "";             // colour class
  const LogHistogram* h = nullptr;  // the whole-capture histogram (ns)
  // The report's values (ms) and the JSON paths they come from.
  double p50 = kNone, p90 = kNone, p99 = kNone;
  std::string json_path;  // "/functions/3/queue_ms"
};
// Rows on one shared log time axis; the percentiles as marks on each row and as numbers beside it.
void distribution_chart(std::string& out, const std::string& label, const std::vector<Distribution>& rows);

// A series over the time bins: one value per bin (kNone: nothing there).
struct Series {
  std::string label;
  std::string css;           // colour class, e.g. "c0"
  std::vector<double> v;     // per bin, in the chart's unit before `scale`
  std::string attrs;         // data-* that say what it is (data-q, data-fn), written on its path
  bool dashed = false;
};
struct TimeChart {
  std::string id, title, unit;  // unit of the y axis, e.g. "jobs/s"
  double scale = 1;             // drawn value = v * scale (e.g. per bin -> per second)
  bool log_y = false;           // log axis of durations in ms
  std::vector<Series> stacked;  // step areas stacked bottom up
  std::vector<Series> lines;    // step lines on top
  std::string note;             // under the chart
};
void time_chart(std::string& out, const TimeChart& c, int64_t t0, int64_t bin_ns, size_t bins);

// Worker lanes: per worker and bin its busy fraction (kNone: not connected), jobs lost, and
// whether jobs of its functions were queued at the bin's end (an idle worker then stands out).
struct Lane {
  std::string name;
  std::string attrs;          // data-* for the test (data-worker)
  std::vector<double> busy;   // per bin: fraction of the bin, kNone when absent
  std::vector<uint64_t> lost;
  std::vector<bool> waiting;  // jobs it can do queued at the bin's end
};
void lanes_chart(std::string& out, const std::vector<Lane>& lanes, const std::vector<double>& queued, int64_t t0,
                 int64_t bin_ns, size_t bins);

// A horizontal bar of parts (outcomes), each with its share.
struct Part {
  const char* label;
  const char* css;
  uint64_t n;
};
void stacked_bar(std::string& out, const std::vector<Part>& parts, int width, int height);

// The legend of a chart: coloured keys with labels (HTML, wraps).
void legend(std::string& out, const std::vector<std::pair<std::string, std::string>>& keys_css, bool lines = false);

}  // namespace gan::html
