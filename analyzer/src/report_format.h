// Small formatting pieces the reports share: times, milliseconds, latency objects, CSV fields.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "histogram.h"
#include "job_record.h"

namespace gan {

// Seconds since the epoch with 9 decimals from nanoseconds; "" for kNoTime.
std::string format_time(int64_t ns);
// "2026-11-23 10:57:59.005218 UTC" (microseconds); "-" for kNoTime.
std::string calendar_time(int64_t ns);
// The Reorder flags of a job as space-separated words ("" when none).
std::string reorder_names(uint8_t bits);

inline double ms(double ns) { return ns / 1e6; }
inline double round6(double v) { return double(int64_t(v * 1e6 + (v >= 0 ? 0.5 : -0.5))) / 1e6; }

// {"count", "min", "p50", "p90", "p99", "max", "mean"} in ms; the statistics are null when
// count is 0 (nothing was measured, which is not a time of 0).
nlohmann::ordered_json latency_json(const LogHistogram& h);
nlohmann::ordered_json ns_or_null(int64_t ns);
// Milliseconds with 6 decimals, "" for kNoTime (CSV).
std::string dur(int64_t ns);
std::string csv_field(const std::string& s);
// Bytes from the wire (exception texts, codes) made printable: control bytes as \n, \xNN.
std::string printable(const std::string& s);

}  // namespace gan
