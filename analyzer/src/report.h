// Reporters: text (default), JSON (the stable contract in docs/gearman-analyze.md), CSV per
// function, and per-job records (CSV or JSON lines).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "analyzer.h"

namespace gan {

struct ReportInfo {
  std::vector<std::string> files;
  std::string version;
};

// The functions a report lists (jobs, or admin queue-depth samples), by name.
std::vector<const FunctionStats*> reported_functions(const Analyzer& a);

void write_text(FILE* out, const Analyzer& a, const ReportInfo& info);  // report_text.cpp
std::string json_report(const Analyzer& a, const ReportInfo& info);  // report_json.cpp; pretty, ends with '\n'
void write_csv(FILE* out, const Analyzer& a);  // report_csv.cpp

// Seconds since the epoch with 9 decimals from nanoseconds; "" for kNoTime.
std::string format_time(int64_t ns);

// job_writer.cpp
class JobWriter {
 public:
  enum class Format { ByName, Csv, JsonLines };
  // `path` "-" is stdout. ByName: JSON lines when `path` ends with .json, .jsonl or .ndjson, else
  // CSV with a header row.
  bool open(const std::string& path, std::string& err, Format format = Format::ByName);
  void write(const JobRecord& r);
  // A write has failed (disk full, closed pipe): `err` says where and why.
  bool failed(std::string& err) const;
  // Flushes and closes; false with `err` on a write error.
  bool close(std::string& err);
  ~JobWriter();

 private:
  FILE* f_ = nullptr;
  bool json_ = false;
  std::string name_;  // for messages: the path, or "the job records to stdout"
  int errno_ = 0;     // of the first failed write
};

}  // namespace gan
