// Per-job records (--jobs): CSV with a header row, or JSON lines; both are contracts
// (docs/gearman-analyze.md: columns and keys are only added).
#include <cerrno>
#include <cinttypes>
#include <cstring>

#include "report.h"
#include "report_format.h"

namespace gan {

using nlohmann::ordered_json;

bool JobWriter::open(const std::string& path, std::string& err, Format format) {
  name_ = path == "-" ? std::string("the job records to stdout") : path;
  f_ = path == "-" ? stdout : std::fopen(path.c_str(), "w");
  if (!f_) { err = path + ": " + std::strerror(errno); return false; }
  auto ends = [&](const char* s) { size_t n = std::strlen(s); return path.size() >= n && path.compare(path.size() - n, n, s) == 0; };
  json_ = format == Format::JsonLines ||
          (format == Format::ByName && (ends(".json") || ends(".jsonl") || ends(".ndjson")));
  if (!json_)
    std::fprintf(f_, "server,handle,function,unique,outcome,background,unknown_start,priority,submits,"
                     "assignments,payload_bytes,worker,t_submit,t_created,t_assign_first,t_assign,"
                     "t_worker_done,t_client_done,queue_ms,run_ms,total_ms,f_submit,f_created,"
                     "f_assign,f_worker_done,f_client_done,status_polls,f_assign_first,client,"
                     "ended_by_server,reordered\n");
  return true;
}

bool JobWriter::failed(std::string& err) const {
  if (!f_ || !std::ferror(f_)) return false;
  err = "writing " + name_ + ": " + std::strerror(errno_ ? errno_ : EIO);
  return true;
}

bool JobWriter::close(std::string& err) {
  if (!f_) return true;
  errno = 0;
  bool ok = std::fflush(f_) == 0 && !std::ferror(f_);
  if (!ok && !errno_) errno_ = errno;
  if (f_ != stdout && std::fclose(f_) != 0 && ok) { ok = false; errno_ = errno; }
  f_ = nullptr;
  if (!ok) err = "writing " + name_ + ": " + std::strerror(errno_ ? errno_ : EIO);
  return ok;
}

JobWriter::~JobWriter() { if (f_ && f_ != stdout) std::fclose(f_); }

void JobWriter::write(const JobRecord& r) {
  if (!f_) return;
  if (json_) {
    ordered_json j;
    j["server"] = r.server; j["handle"] = r.handle; j["function"] = r.function; j["unique"] = r.unique;
    j["outcome"] = outcome_name(r.outcome); j["background"] = r.background;
    j["unknown_start"] = r.unknown_start; j["priority"] = r.priority; j["submits"] = r.submits;
    j["assignments"] = r.assignments; j["payload_bytes"] = r.payload_bytes; j["worker"] = r.worker;
    j["status_polls"] = r.status_polls;
    auto tj = [](int64_t ns) -> ordered_json { if (ns == kNoTime) return nullptr; return format_time(ns); };
    j["t_submit"] = tj(r.t_submit); j["t_created"] = tj(r.t_created);
    j["t_assign_first"] = tj(r.t_assign_first); j["t_assign"] = tj(r.t_assign);
    j["t_worker_done"] = tj(r.t_worker_done); j["t_client_done"] = tj(r.t_client_done);
    j["queue_ms"] = ns_or_null(r.queue_ns()); j["run_ms"] = ns_or_null(r.run_ns());
    j["total_ms"] = ns_or_null(r.total_ns());
    j["f_submit"] = r.f_submit; j["f_created"] = r.f_created; j["f_assign"] = r.f_assign;
    j["f_worker_done"] = r.f_worker_done; j["f_client_done"] = r.f_client_done;
    j["f_assign_first"] = r.f_assign_first;
    j["client"] = r.client;
    j["ended_by_server"] = r.ended_by_server;
    j["reordered"] = reorder_names(r.reordered);
    std::string s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (std::fprintf(f_, "%s\n", s.c_str()) < 0 && !errno_) errno_ = errno;
    return;
  }
  int n = std::fprintf(f_, "%s,%s,%s,%s,%s,%d,%d,%s,%u,%u,%" PRIu64 ",%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%" PRIu64
               ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%u,%" PRIu64 ",%s,%d,%s\n",
               csv_field(r.server).c_str(), csv_field(r.handle).c_str(), csv_field(r.function).c_str(),
               csv_field(r.unique).c_str(), outcome_name(r.outcome), r.background ? 1 : 0,
               r.unknown_start ? 1 : 0, r.priority, r.submits, r.assignments, r.payload_bytes,
               csv_field(r.worker).c_str(), format_time(r.t_submit).c_str(), format_time(r.t_created).c_str(),
               format_time(r.t_assign_first).c_str(), format_time(r.t_assign).c_str(),
               format_time(r.t_worker_done).c_str(), format_time(r.t_client_done).c_str(),
               dur(r.queue_ns()).c_str(), dur(r.run_ns()).c_str(), dur(r.total_ns()).c_str(),
               r.f_submit, r.f_created, r.f_assign, r.f_worker_done, r.f_client_done, r.status_polls,
               r.f_assign_first, csv_field(r.client).c_str(), r.ended_by_server ? 1 : 0,
               csv_field(reorder_names(r.reordered)).c_str());
  if (n < 0 && !errno_) errno_ = errno;
}

}  // namespace gan
