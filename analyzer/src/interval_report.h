// Reporters for what report.cpp does not cover: intervals (--interval, live capture) and the work
// open at the end ("open_at_end"), as JSON objects, CSV rows and text lines, and the JSON lines
// of live capture. The JSON shapes are part of the contract in docs/gearman-analyze.md.
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "intervals.h"
#include "open_work.h"
#include "report.h"

namespace gan {

nlohmann::ordered_json interval_json(const Interval& iv);  // {"type": "interval", ...}
nlohmann::ordered_json open_work_json(const OpenWork& w);
nlohmann::ordered_json open_job_json(const OpenJob& j);      // null when !j.valid

// The report's JSON (json_report) with more top-level keys after its own, in order.
nlohmann::ordered_json report_object(const Analyzer& a, const ReportInfo& info);

// CSV (--format csv): with intervals, the per-function table gets the columns interval_start,
// interval_end, submitted, in_flight, queued, late; its rows for the whole capture leave them
// empty and follow the interval rows.
void write_interval_csv_header(FILE* out);
void write_interval_csv_rows(FILE* out, const Interval& iv);

// Text: one line per interval and function (and a line for workers and for the oldest open jobs).
void write_interval_text_header(FILE* out, int64_t interval_ns);
void write_interval_text(FILE* out, const Interval& iv);
void write_open_work_text(FILE* out, const OpenWork& w);

// "2026-11-30 12:03:04.250" (UTC, as the rest of the text report); "-" for kNoTime.
std::string clock_time(int64_t ns, bool with_date);
// "850 ms", "12.3 s", "4 min 10 s"
std::string age_text(int64_t ns);
// A busy fraction as "63%"; "<1%" when busy at all but under 0.5 % (so not "0%").
std::string busy_text(double busy);

}  // namespace gan

namespace gan {

// What the report has besides report.cpp's: the open work at the end, the intervals (files with
// --interval), the live capture's counters. `json_line`: the JSON on one line with "type":
// "report" first (the last of live capture's JSON lines).
struct ReportExtras {
  const OpenWork* open = nullptr;
  const std::vector<Interval>* intervals = nullptr;
  int64_t interval_ns = 0;
  nlohmann::ordered_json live;  // null: not live
  std::string live_text;        // its text report line
  bool json_line = false;
  bool csv_header = true;       // false: the CSV header was written already (live)
};
void write_report(FILE* out, const std::string& format, const Analyzer& a, const ReportInfo& info,
                  const ReportExtras& x);

}  // namespace gan
