// SPDX-License-Identifier: GPL-2.0-or-later
// Building blocks of the HTML report (html_report.cpp) and its charts (html_charts.cpp):
// escaping, number and duration formats, axes with nice ticks (linear, log, UTC time), and a
// small SVG writer. Everything here writes text; nothing is loaded from anywhere.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gan::html {

// Text from anywhere, the wire included (function names, exception texts, client IDs), for HTML
// text or a double-quoted attribute: control bytes as \xNN, invalid UTF-8 as U+FFFD, and
// & < > " ' as character references. Safe in both places; never for inside <script>.
std::string esc(const std::string& s);

// A number as its JSON report gives it (the shortest text that reads back as the same double),
// for data-v attributes that a test compares with the JSON.
std::string exact(double v);
std::string exact(uint64_t v);

std::string count_text(uint64_t n);   // "1,234,567"
std::string ms_text(double ms);       // 3 significant digits: "850 µs", "12.3 ms", "1.50 s", "4.2 min"
std::string short_number(double v);   // axis labels: "0.5", "350", "1.2k", "12M"
std::string percent_text(double p);   // p in percent: "0%", "0.4%", "12.5%", "100%"
std::string decade_label(double ns);  // a duration in ns at a decade: "1 µs", "10 ms", "1 s", "100 s"
std::string utc_text(int64_t ns, bool with_ms);  // "2026-11-23 14:57:58.471 UTC"

// A linear axis widened to nice ticks (1, 2, 5 times a power of ten), at most `max_ticks`.
struct LinearAxis {
  double lo = 0, hi = 1;
  std::vector<double> ticks;
};
LinearAxis nice_linear(double lo, double hi, int max_ticks);

// A log axis from the decade at or below `lo` to the one at or above `hi` (both > 0).
struct LogAxis {
  double lo = 1, hi = 10;
  std::vector<double> decades;  // lo, 10 lo, ..., hi
};
LogAxis nice_log(double lo, double hi);

// Ticks for a UTC time axis over [t0, t1] ns: a round step (1 ms ... 1 week) that gives at most
// `max_ticks`; labels as short as the step allows ("14:57:45", "14:58", "11-23 14:00").
struct TimeTick {
  int64_t t;
  std::string label;
};
std::vector<TimeTick> time_ticks(int64_t t0, int64_t t1, int max_ticks);

// [d0, d1] onto [r0, r1], linearly or by log10 (d0 > 0 then).
struct Scale {
  double d0 = 0, d1 = 1, r0 = 0, r1 = 1;
  bool log = false;
  double operator()(double v) const;
};

std::string px(double v);  // an SVG coordinate: at most one decimal

// An <svg> element written into `out`, closed when it goes out of scope. Coordinates are in
// viewBox units (width x height); CSS scales it to the page's width.
class Svg {
 public:
  Svg(std::string& out, int width, int height, const std::string& cls, const std::string& label,
      const std::string& attrs = "");
  ~Svg();
  Svg(const Svg&) = delete;
  Svg& operator=(const Svg&) = delete;

  // `s` is escaped here.
  void text(double x, double y, const std::string& s, const char* anchor = "start", const char* cls = nullptr);
  void line(double x1, double y1, double x2, double y2, const char* cls);
  void rect(double x, double y, double w, double h, const char* cls, const std::string& attrs = "");
  void path(const std::string& d, const char* cls, const std::string& attrs = "");
  std::string& out;
};

}  // namespace gan::html
