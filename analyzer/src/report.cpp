#include "report.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <nlohmann/json.hpp>

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

static double ms(double ns) { return ns / 1e6; }
static double round6(double v) { return double(int64_t(v * 1e6 + (v >= 0 ? 0.5 : -0.5))) / 1e6; }

static ordered_json latency_json(const LogHistogram& h) {
  ordered_json j;
  j["count"] = h.count();
  j["min"] = round6(ms(double(h.min())));
  j["p50"] = round6(ms(h.percentile(0.50)));
  j["p90"] = round6(ms(h.percentile(0.90)));
  j["p99"] = round6(ms(h.percentile(0.99)));
  j["max"] = round6(ms(double(h.max())));
  j["mean"] = round6(ms(h.mean()));
  return j;
}

static ordered_json ns_or_null(int64_t ns) {
  if (ns == kNoTime) return nullptr;
  return round6(double(ns) / 1e6);
}

static ordered_json job_json(const JobRecord& r) {
  ordered_json j;
  j["server"] = r.server;
  j["handle"] = r.handle;
  j["function"] = r.function;
  j["unique"] = r.unique;
  j["outcome"] = outcome_name(r.outcome);
  j["background"] = r.background;
  j["unknown_start"] = r.unknown_start;
  j["submits"] = r.submits;
  j["status_polls"] = r.status_polls;
  j["worker"] = r.worker;
  j["queue_ms"] = ns_or_null(r.queue_ns());
  j["run_ms"] = ns_or_null(r.run_ns());
  j["total_ms"] = ns_or_null(r.total_ns());
  j["frames"] = {{"submit", r.f_submit}, {"created", r.f_created}, {"assign", r.f_assign},
                 {"worker_done", r.f_worker_done}, {"client_done", r.f_client_done}};
  return j;
}

static std::vector<const FunctionStats*> sorted_functions(const Analyzer& a) {
  std::vector<const FunctionStats*> v;
  for (const auto& f : a.functions()) if (f.jobs > 0 || f.depth_samples > 0) v.push_back(&f);
  std::sort(v.begin(), v.end(), [](auto* x, auto* y) { return x->name < y->name; });
  return v;
}

std::string json_report(const Analyzer& a, const ReportInfo& info) {
  const Totals& t = a.totals();
  ordered_json j;
  j["tool"] = "gearman-analyze";
  j["version"] = info.version;
  j["capture"] = {{"files", info.files},
                  {"frames", t.frames},
                  {"first_time", format_time(t.first_ns)},
                  {"last_time", format_time(t.last_ns)},
                  {"duration_s", t.first_ns == kNoTime ? 0.0 : round6(double(t.last_ns - t.first_ns) / 1e9)}};
  j["packets"] = {{"frames", t.frames}, {"tcp_segments", t.tcp_segments},
                  {"gearman_segments", t.gearman_segments}, {"gearman", t.pdus},
                  {"admin_commands", t.admin_commands}, {"admin_reply_lines", t.admin_reply_lines},
                  {"status_queries", t.status_queries}, {"retransmissions", t.retransmissions},
                  {"out_of_order", t.out_of_order}, {"connections", t.connections}};
  j["jobs"] = {{"total", t.jobs}, {"complete", t.complete}, {"fail", t.fail},
               {"exception", t.exception}, {"incomplete", t.incomplete},
               {"background", t.background}, {"coalesced_submits", t.coalesced_submits},
               {"unknown_start", t.unknown_start}, {"reassigned", t.reassigned},
               {"submit_errors", t.submit_errors}};
  ordered_json fns = ordered_json::array();
  for (const FunctionStats* f : sorted_functions(a)) {
    ordered_json o;
    o["name"] = f->name;
    o["jobs"] = f->jobs;
    o["complete"] = f->complete;
    o["fail"] = f->fail;
    o["exception"] = f->exception;
    o["incomplete"] = f->incomplete;
    o["background"] = f->background;
    o["submits"] = f->submits;
    o["coalesced_submits"] = f->coalesced;
    o["unknown_start"] = f->unknown_start;
    o["reassigned"] = f->reassigned;
    o["queue_ms"] = latency_json(f->queue);
    o["run_ms"] = latency_json(f->run);
    o["total_ms"] = latency_json(f->total);
    o["queue_depth"] = {{"samples", f->depth_samples}, {"max", f->depth_max}, {"last", f->depth_last}};
    fns.push_back(std::move(o));
  }
  j["functions"] = std::move(fns);
  ordered_json ws = ordered_json::array();
  for (const auto& w : a.workers()) {
    if (w.merged_into >= 0) continue;  // counted in the entry with the same client ID
    ws.push_back({{"name", w.name}, {"address", w.address}, {"functions", w.functions},
                  {"jobs", w.jobs}, {"complete", w.complete}, {"fail", w.fail},
                  {"exception", w.exception}, {"lost", w.lost}, {"open_jobs", w.open_job},
                  {"busy_ms", round6(double(w.busy_ns) / 1e6)}, {"sleeps", w.sleeps}, {"wakes", w.wakes},
                  {"first_seen", format_time(w.first_ns)}, {"last_seen", format_time(w.last_ns)}});
  }
  j["workers"] = std::move(ws);
  ordered_json ss = ordered_json::array();
  for (const auto& s : a.servers())
    ss.push_back({{"endpoint", s.endpoint}, {"connections", s.connections}, {"jobs", s.jobs},
                  {"pdus", s.pdus}, {"admin_commands", s.admin_commands}});
  j["servers"] = std::move(ss);
  ordered_json sl = ordered_json::array();
  for (const auto& r : a.slowest()) sl.push_back(job_json(r));
  j["slowest"] = std::move(sl);
  ordered_json wn = ordered_json::array();
  for (const auto& w : a.warnings())
    wn.push_back({{"kind", w.kind}, {"count", w.count}, {"bytes", w.bytes},
                  {"first_frame", w.first_frame}, {"detail", w.detail}});
  j["warnings"] = std::move(wn);
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

static std::string lat_cell(const LogHistogram& h) {
  if (h.count() == 0) return "-";
  char b[160];
  std::snprintf(b, sizeof b, "n=%" PRIu64 " min=%.3f p50=%.3f p90=%.3f p99=%.3f max=%.3f mean=%.3f",
                h.count(), ms(double(h.min())), ms(h.percentile(.5)), ms(h.percentile(.9)),
                ms(h.percentile(.99)), ms(double(h.max())), ms(h.mean()));
  return b;
}

// Decades from <1 ms to >=10 s, one bar each, scaled to the largest.
static void decade_histogram(FILE* out, const LogHistogram& h) {
  if (h.count() == 0) return;
  static const char* labels[] = {"<1ms", "1-10ms", "10-100ms", "0.1-1s", "1-10s", ">=10s"};
  uint64_t edges[] = {1000000ull, 10000000ull, 100000000ull, 1000000000ull, 10000000000ull};
  uint64_t counts[6];
  uint64_t prev = 0;
  for (int i = 0; i < 5; ++i) { uint64_t c = h.count_below(edges[i]); counts[i] = c - prev; prev = c; }
  counts[5] = h.count() - prev;
  uint64_t mx = *std::max_element(counts, counts + 6);
  for (int i = 0; i < 6; ++i) {
    if (counts[i] == 0) continue;
    int bar = mx ? int((counts[i] * 30 + mx - 1) / mx) : 0;
    std::fprintf(out, "      %-9s %8" PRIu64 " %.*s\n", labels[i], counts[i], bar,
                 "##############################");
  }
}

void write_text(FILE* out, const Analyzer& a, const ReportInfo& info) {
  const Totals& t = a.totals();
  std::fprintf(out, "gearman-analyze %s\n", info.version.c_str());
  std::fprintf(out, "capture: %zu file(s), %" PRIu64 " frames, %.3f s\n", info.files.size(), t.frames,
               t.first_ns == kNoTime ? 0.0 : double(t.last_ns - t.first_ns) / 1e9);
  std::fprintf(out, "packets: %" PRIu64 " Gearman PDUs, %" PRIu64 " admin commands, %" PRIu64
               " connections, %" PRIu64 " retransmitted, %" PRIu64 " out of order\n",
               t.pdus, t.admin_commands, t.connections, t.retransmissions, t.out_of_order);
  std::fprintf(out, "jobs: %" PRIu64 " total: %" PRIu64 " complete, %" PRIu64 " fail, %" PRIu64
               " exception, %" PRIu64 " incomplete; %" PRIu64 " background, %" PRIu64
               " coalesced submits, %" PRIu64 " began before the capture, %" PRIu64 " re-assigned\n",
               t.jobs, t.complete, t.fail, t.exception, t.incomplete, t.background,
               t.coalesced_submits, t.unknown_start, t.reassigned);
  std::fprintf(out, "\nfunctions (latencies in ms: queue = created->assigned, run = assigned->worker's "
                    "result, total = submit->result at the client)\n");
  auto fns = sorted_functions(a);
  std::sort(fns.begin(), fns.end(), [](auto* x, auto* y) { return x->jobs != y->jobs ? x->jobs > y->jobs : x->name < y->name; });
  for (const FunctionStats* f : fns) {
    std::fprintf(out, "  %s: %" PRIu64 " jobs (%" PRIu64 " complete, %" PRIu64 " fail, %" PRIu64
                 " exception, %" PRIu64 " incomplete, %" PRIu64 " background)\n",
                 f->name.c_str(), f->jobs, f->complete, f->fail, f->exception, f->incomplete, f->background);
    std::fprintf(out, "    queue  %s\n", lat_cell(f->queue).c_str());
    std::fprintf(out, "    run    %s\n", lat_cell(f->run).c_str());
    std::fprintf(out, "    total  %s\n", lat_cell(f->total).c_str());
    if (f->depth_samples)
      std::fprintf(out, "    queued (admin status): %" PRIu64 " samples, max %" PRIu64 ", last %" PRIu64 "\n",
                   f->depth_samples, f->depth_max, f->depth_last);
    decade_histogram(out, f->total.count() ? f->total : f->run);
  }
  std::fprintf(out, "\nworkers\n");
  for (const auto& w : a.workers()) {
    if (w.merged_into >= 0) continue;  // counted in the entry with the same client ID
    std::string fl;
    for (const auto& s : w.functions) { if (!fl.empty()) fl += ' '; fl += s; }
    std::fprintf(out, "  %s (%s): %" PRIu64 " jobs (%" PRIu64 "/%" PRIu64 "/%" PRIu64
                 " complete/fail/exception), busy %.3f ms, %" PRIu64 " sleeps, %" PRIu64
                 " wakes, %" PRIu64 " lost on disconnect, %" PRIu64 " open at end; can do: %s\n",
                 w.name.c_str(), w.address.c_str(), w.jobs, w.complete, w.fail, w.exception,
                 double(w.busy_ns) / 1e6, w.sleeps, w.wakes, w.lost, w.open_job, fl.c_str());
  }
  std::fprintf(out, "\nservers\n");
  for (const auto& s : a.servers())
    std::fprintf(out, "  %s: %" PRIu64 " connections, %" PRIu64 " jobs, %" PRIu64 " PDUs, %" PRIu64 " admin commands\n",
                 s.endpoint.c_str(), s.connections, s.jobs, s.pdus, s.admin_commands);
  auto slow = a.slowest();
  if (!slow.empty()) {
    std::fprintf(out, "\nslowest jobs (total, else run, else queue)\n");
    for (const auto& r : slow) {
      auto cell = [](int64_t ns) { char b[32]; if (ns == kNoTime) return std::string("-"); std::snprintf(b, sizeof b, "%.3f", double(ns) / 1e6); return std::string(b); };
      std::fprintf(out, "  %s %s unique=%s %s queue=%s run=%s total=%s frames submit=%" PRIu64
                   " created=%" PRIu64 " assign=%" PRIu64 " done=%" PRIu64 " client=%" PRIu64 "\n",
                   r.handle.c_str(), r.function.c_str(), r.unique.c_str(), outcome_name(r.outcome),
                   cell(r.queue_ns()).c_str(), cell(r.run_ns()).c_str(), cell(r.total_ns()).c_str(),
                   r.f_submit, r.f_created, r.f_assign, r.f_worker_done, r.f_client_done);
    }
  }
  auto warns = a.warnings();
  std::fprintf(out, "\nwarnings%s\n", warns.empty() ? ": none" : "");
  for (const auto& w : warns)
    std::fprintf(out, "  %s: %" PRIu64 " time(s), %" PRIu64 " bytes, first at frame %" PRIu64 ": %s\n",
                 w.kind.c_str(), w.count, w.bytes, w.first_frame, w.detail.c_str());
}

static std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) { if (c == '"') o += '"'; o += c; }
  return o + "\"";
}

void write_csv(FILE* out, const Analyzer& a) {
  std::fprintf(out, "function,jobs,complete,fail,exception,incomplete,background");
  for (const char* k : {"queue", "run", "total"})
    std::fprintf(out, ",%s_count,%s_min_ms,%s_p50_ms,%s_p90_ms,%s_p99_ms,%s_max_ms,%s_mean_ms", k, k, k, k, k, k, k);
  std::fprintf(out, "\n");
  for (const FunctionStats* f : sorted_functions(a)) {
    std::fprintf(out, "%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64,
                 csv_field(f->name).c_str(), f->jobs, f->complete, f->fail, f->exception, f->incomplete, f->background);
    for (const LogHistogram* h : {&f->queue, &f->run, &f->total})
      std::fprintf(out, ",%" PRIu64 ",%.6f,%.6f,%.6f,%.6f,%.6f,%.6f", h->count(), ms(double(h->min())),
                   ms(h->percentile(.5)), ms(h->percentile(.9)), ms(h->percentile(.99)),
                   ms(double(h->max())), ms(h->mean()));
    std::fprintf(out, "\n");
  }
}

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

static std::string dur(int64_t ns) {
  if (ns == kNoTime) return "";
  char b[40];
  std::snprintf(b, sizeof b, "%.6f", double(ns) / 1e6);
  return b;
}

// The Reorder flags of a job as words, space-separated ("" when its wire order was causal).
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
