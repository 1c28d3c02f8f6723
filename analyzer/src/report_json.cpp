// The JSON report: the stable contract of docs/gearman-analyze.md (fields are only added).
#include <algorithm>

#include "report.h"
#include "report_format.h"

namespace gan {

using nlohmann::ordered_json;

namespace {

std::string iso_time(int64_t ns) {  // "2026-11-23T10:57:59.005218Z", "" for none
  if (ns == kNoTime) return "";
  std::string c = calendar_time(ns);  // "2026-11-23 10:57:59.005218 UTC"
  c[10] = 'T';
  return c.substr(0, c.size() - 4) + "Z";
}

ordered_json job_json(const JobRecord& r) {
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
                 {"worker_done", r.f_worker_done}, {"client_done", r.f_client_done},
                 {"assign_first", r.f_assign_first}};
  j["client"] = r.client;
  j["reordered"] = reorder_names(r.reordered);
  return j;
}

ordered_json text_counts_json(const TextCounts& t, const char* key) {
  ordered_json a = ordered_json::array();
  for (const auto& [text, n] : t.sorted()) a.push_back({{key, text}, {"count", n}});
  return a;
}

}  // namespace

std::vector<const FunctionStats*> reported_functions(const Analyzer& a) {
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
                  {"duration_s", t.first_ns == kNoTime ? 0.0 : round6(double(t.last_ns - t.first_ns) / 1e9)},
                  {"start", iso_time(t.first_ns)},
                  {"end", iso_time(t.last_ns)}};
  j["packets"] = {{"frames", t.frames}, {"tcp_segments", t.tcp_segments},
                  {"gearman_segments", t.gearman_segments}, {"gearman", t.pdus},
                  {"admin_commands", t.admin_commands}, {"admin_reply_lines", t.admin_reply_lines},
                  {"status_queries", t.status_queries}, {"retransmissions", t.retransmissions},
                  {"out_of_order", t.out_of_order}, {"connections", t.connections}};
  j["jobs"] = {{"total", t.jobs}, {"complete", t.complete}, {"fail", t.fail},
               {"exception", t.exception}, {"incomplete", t.incomplete},
               {"background", t.background}, {"coalesced_submits", t.coalesced_submits},
               {"unknown_start", t.unknown_start}, {"reassigned", t.reassigned},
               {"submit_errors", t.submit_errors}, {"reordered", t.reordered}};
  ordered_json fns = ordered_json::array();
  for (const FunctionStats* f : reported_functions(a)) {
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
    o["fail_percent"] = round6(f->fail_percent());
    o["reordered"] = f->reordered;
    o["exceptions"] = text_counts_json(f->exceptions, "text");
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
                  {"first_seen", format_time(w.first_ns)}, {"last_seen", format_time(w.last_ns)},
                  {"connections", w.connections}});
  }
  j["workers"] = std::move(ws);
  ordered_json cs = ordered_json::array();
  for (const auto& c : a.clients())
    cs.push_back({{"name", c.name}, {"connections", c.connections}, {"submits", c.submits},
                  {"submit_errors", c.submit_errors}, {"jobs", c.jobs}, {"complete", c.complete},
                  {"fail", c.fail}, {"exception", c.exception}, {"incomplete", c.incomplete},
                  {"background", c.background}, {"total_ms", latency_json(c.total)}});
  j["clients"] = std::move(cs);
  ordered_json ss = ordered_json::array();
  for (const auto& s : a.servers())
    ss.push_back({{"endpoint", s.endpoint}, {"connections", s.connections}, {"jobs", s.jobs},
                  {"pdus", s.pdus}, {"admin_commands", s.admin_commands}});
  j["servers"] = std::move(ss);
  j["errors"] = text_counts_json(a.error_codes(), "code");
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

}  // namespace gan
