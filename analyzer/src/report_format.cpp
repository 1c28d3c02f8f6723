#include "report_format.h"

#include <cinttypes>
#include <cstdio>
#include <ctime>

#include "gearjobs/job.h"

namespace gan {

using nlohmann::ordered_json;

std::string format_time(int64_t ns) {
  if (ns == kNoTime) return "";
  char b[48];
  bool neg = ns < 0;
  uint64_t u = neg ? uint64_t(-(ns + 1)) + 1 : uint64_t(ns);
  std::snprintf(b, sizeof b, "%s%" PRIu64 ".%09" PRIu64, neg ? "-" : "", u / 1000000000u, u % 1000000000u);
  return b;
}

std::string calendar_time(int64_t ns) {
  if (ns == kNoTime) return "-";
  const int64_t s = ns >= 0 ? ns / 1000000000 : -((-ns + 999999999) / 1000000000);
  const int64_t us = (ns - s * 1000000000) / 1000;
  const std::time_t t = static_cast<std::time_t>(s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[64];
  std::snprintf(b, sizeof b, "%04d-%02d-%02d %02d:%02d:%02d.%06" PRId64 " UTC", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us);
  return b;
}

std::string reorder_names(uint8_t bits) {
  static const struct { uint8_t bit; const char* name; } kNames[] = {
    {gearjobs::kAssignedBeforeCreated, "assigned_before_created"},
    {gearjobs::kEndedBeforeAssigned, "ended_before_assigned"},
    {gearjobs::kResultBeforeEnd, "result_before_end"},
    {gearjobs::kResultBeforeSubmit, "result_before_submit"},
  };
  std::string out;
  for (const auto& n : kNames) {
    if (!(bits & n.bit)) continue;
    if (!out.empty()) out += ' ';
    out += n.name;
  }
  return out;
}

ordered_json latency_json(const LogHistogram& h) {
  ordered_json j;
  j["count"] = h.count();
  if (h.count() == 0) {
    for (const char* k : {"min", "p50", "p90", "p99", "max", "mean"}) j[k] = nullptr;
    return j;
  }
  j["min"] = round6(ms(double(h.min())));
  j["p50"] = round6(ms(h.percentile(0.50)));
  j["p90"] = round6(ms(h.percentile(0.90)));
  j["p99"] = round6(ms(h.percentile(0.99)));
  j["max"] = round6(ms(double(h.max())));
  j["mean"] = round6(ms(h.mean()));
  return j;
}

ordered_json ns_or_null(int64_t ns) {
  if (ns == kNoTime) return nullptr;
  return round6(double(ns) / 1e6);
}

std::string dur(int64_t ns) {
  if (ns == kNoTime) return "";
  char b[40];
  std::snprintf(b, sizeof b, "%.6f", double(ns) / 1e6);
  return b;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) { if (c == '"') o += '"'; o += c; }
  return o + "\"";
}

std::string printable(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (unsigned char c : s) {
    if (c == '\n') o += "\\n";
    else if (c == '\r') o += "\\r";
    else if (c == '\t') o += "\\t";
    else if (c == '\\') o += "\\\\";
    else if (c < 0x20 || c == 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      o += b;
    } else {
      o += char(c);
    }
  }
  return o;
}

}  // namespace gan
