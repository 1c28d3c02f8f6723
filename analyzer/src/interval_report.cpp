#include "interval_report.h"

#include "report_format.h"

#include <cinttypes>
#include <cstring>
#include <ctime>

namespace gan {

using nlohmann::ordered_json;

namespace {
// As the report's latency objects (report_format.h): null statistics when nothing was measured.
ordered_json latency(const LatencySummary& s) {
  ordered_json j;
  j["count"] = s.count;
  const bool none = s.count == 0;
  j["min"] = none ? ordered_json(nullptr) : ordered_json(round6(s.min));
  j["p50"] = none ? ordered_json(nullptr) : ordered_json(round6(s.p50));
  j["p90"] = none ? ordered_json(nullptr) : ordered_json(round6(s.p90));
  j["p99"] = none ? ordered_json(nullptr) : ordered_json(round6(s.p99));
  j["max"] = none ? ordered_json(nullptr) : ordered_json(round6(s.max));
  j["mean"] = none ? ordered_json(nullptr) : ordered_json(round6(s.mean));
  return j;
}
}  // namespace

ordered_json open_job_json(const OpenJob& o) {
  if (!o.valid) return nullptr;
  ordered_json j;
  j["function"] = o.function;
  j["handle"] = o.handle;
  j["server"] = o.server;
  j["state"] = o.running ? "running" : "queued";
  j["worker"] = o.worker;
  j["since"] = o.since == kNoTime ? ordered_json(nullptr) : ordered_json(format_time(o.since));
  j["age_ms"] = round6(double(o.age_ns) / 1e6);
  j["frames"] = {{"submit", o.f_submit}, {"created", o.f_created}, {"assign", o.f_assign}};
  return j;
}

ordered_json interval_json(const Interval& iv) {
  ordered_json j;
  j["type"] = "interval";
  j["start"] = format_time(iv.start);
  j["end"] = format_time(iv.end);
  ordered_json fns = ordered_json::array();
  for (const IntervalFunction& f : iv.functions) {
    ordered_json o;
    o["name"] = f.name;
    o["submitted"] = f.submitted;
    o["complete"] = f.complete;
    o["fail"] = f.fail;
    o["exception"] = f.exception;
    o["incomplete"] = f.incomplete;
    o["background"] = f.background;
    o["late"] = f.late;
    o["in_flight"] = f.in_flight;
    o["queued"] = f.queued;
    o["queue_ms"] = latency(f.queue);
    o["run_ms"] = latency(f.run);
    o["total_ms"] = latency(f.total);
    o["fail_percent"] = round6(f.fail_percent());
    o["reordered"] = f.reordered;
    fns.push_back(std::move(o));
  }
  j["functions"] = std::move(fns);
  ordered_json ws = ordered_json::array();
  for (const IntervalWorker& w : iv.workers)
    ws.push_back({{"name", w.name}, {"busy", round6(w.busy)}, {"busy_ms", round6(double(w.busy_ns) / 1e6)},
                  {"lost", w.lost}, {"connections", w.connections}});
  j["workers"] = std::move(ws);
  j["oldest_running"] = open_job_json(iv.oldest_running);
  j["oldest_queued"] = open_job_json(iv.oldest_queued);
  return j;
}

ordered_json open_work_json(const OpenWork& w) {
  ordered_json j;
  j["time"] = format_time(w.at);
  j["running"] = w.running;
  j["queued"] = w.queued;
  j["never_assigned"] = w.never_assigned;
  ordered_json jobs = ordered_json::array();
  for (const OpenJob& o : w.oldest) jobs.push_back(open_job_json(o));
  j["oldest"] = std::move(jobs);
  ordered_json ws = ordered_json::array();
  for (const auto& e : w.workers)
    ws.push_back({{"name", e.name}, {"last_seen", format_time(e.last_seen)}, {"running", e.running},
                  {"oldest_open", open_job_json(e.oldest)}});
  j["workers"] = std::move(ws);
  return j;
}

ordered_json report_object(const Analyzer& a, const ReportInfo& info) {
  return ordered_json::parse(json_report(a, info));
}

// ---------------------------------------------------------------------------------------------
// CSV

// The columns of write_csv (report_csv.cpp), then the interval's. The test checks that every row
// has as many fields as the header.
void write_interval_csv_header(FILE* out) {
  std::fprintf(out, "function,jobs,complete,fail,exception,incomplete,background");
  for (const char* k : {"queue", "run", "total"})
    std::fprintf(out, ",%s_count,%s_min_ms,%s_p50_ms,%s_p90_ms,%s_p99_ms,%s_max_ms,%s_mean_ms", k, k, k, k, k, k, k);
  std::fprintf(out, ",fail_percent,reordered,interval_start,interval_end,submitted,in_flight,queued,late\n");
}

void write_interval_csv_rows(FILE* out, const Interval& iv) {
  const std::string start = format_time(iv.start), end = format_time(iv.end);
  for (const IntervalFunction& f : iv.functions) {
    std::fprintf(out, "%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64,
                 csv_field(f.name).c_str(), f.finished(), f.complete, f.fail, f.exception, f.incomplete, f.background);
    for (const LatencySummary* s : {&f.queue, &f.run, &f.total}) {
      if (s->count == 0) {  // nothing measured: empty cells, as write_csv
        std::fprintf(out, ",0,,,,,,");
        continue;
      }
      std::fprintf(out, ",%" PRIu64 ",%.6f,%.6f,%.6f,%.6f,%.6f,%.6f", s->count, s->min, s->p50, s->p90, s->p99,
                   s->max, s->mean);
    }
    std::fprintf(out, ",%.3f,%" PRIu64 ",%s,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", f.fail_percent(),
                 f.reordered, start.c_str(), end.c_str(), f.submitted, f.in_flight, f.queued, f.late);
  }
}

// ---------------------------------------------------------------------------------------------
// Text

std::string clock_time(int64_t ns, bool with_date) {
  if (ns == kNoTime) return "-";
  time_t s = time_t(ns >= 0 ? ns / 1000000000 : (ns - 999999999) / 1000000000);
  int ms = int((ns - int64_t(s) * 1000000000) / 1000000);
  struct tm tm;
  gmtime_r(&s, &tm);  // UTC, as the rest of the text report
  char b[64];
  std::strftime(b, sizeof b, with_date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
  char o[80];
  std::snprintf(o, sizeof o, "%s.%03d", b, ms);
  return o;
}

std::string age_text(int64_t ns) {
  char b[48];
  if (ns < 1000000000) std::snprintf(b, sizeof b, "%.0f ms", double(ns) / 1e6);
  else if (ns < 60ll * 1000000000) std::snprintf(b, sizeof b, "%.1f s", double(ns) / 1e9);
  else if (ns < 3600ll * 1000000000) std::snprintf(b, sizeof b, "%lld min %lld s", (long long)(ns / 60000000000ll), (long long)(ns / 1000000000 % 60));
  else std::snprintf(b, sizeof b, "%lld h %lld min", (long long)(ns / 3600000000000ll), (long long)(ns / 60000000000ll % 60));
  return b;
}

std::string busy_text(double busy) {
  if (busy > 0 && busy < 0.005) return "<1%";
  char b[32];
  std::snprintf(b, sizeof b, "%.0f%%", busy * 100);
  return b;
}

void write_interval_text_header(FILE* out, int64_t interval_ns) {
  std::fprintf(out, "intervals of %g s (start in UTC): jobs submitted and finished in each, open at its end; "
                    "total time (submit -> result) in ms\n", double(interval_ns) / 1e9);
  std::fprintf(out, "  %-23s %-20s %9s %8s %6s %6s %9s %7s %10s %10s %10s\n", "start", "function", "submitted",
               "finished", "fail", "exc", "in flight", "queued", "p50", "p99", "max");
}

void write_interval_text(FILE* out, const Interval& iv) {
  const std::string start = clock_time(iv.start, true);
  if (iv.functions.empty()) std::fprintf(out, "  %-23s (no jobs)\n", start.c_str());
  for (const IntervalFunction& f : iv.functions) {
    auto cell = [&](double v) {
      char b[32];
      if (f.total.count == 0) return std::string("-");
      std::snprintf(b, sizeof b, "%.3f", v);
      return std::string(b);
    };
    std::fprintf(out, "  %-23s %-20s %9" PRIu64 " %8" PRIu64 " %6" PRIu64 " %6" PRIu64 " %9" PRIu64 " %7" PRIu64
                 " %10s %10s %10s\n",
                 start.c_str(), f.name.c_str(), f.submitted, f.finished(), f.fail, f.exception, f.in_flight, f.queued,
                 cell(f.total.p50).c_str(), cell(f.total.p99).c_str(), cell(f.total.max).c_str());
  }
  if (!iv.workers.empty()) {
    std::string busy, idle;
    for (const IntervalWorker& w : iv.workers) {
      if (w.busy_ns <= 0) { idle += (idle.empty() ? " " : ", ") + w.name; continue; }
      busy += (busy.empty() ? " " : ", ") + w.name + " " + busy_text(w.busy);
    }
    std::fprintf(out, "  %-23s workers busy:%s%s%s\n", "", busy.empty() ? " none" : busy.c_str(),
                 idle.empty() ? "" : "; idle:", idle.c_str());
  }
  for (const OpenJob* o : {&iv.oldest_running, &iv.oldest_queued}) {
    if (!o->valid) continue;
    std::fprintf(out, "  %-23s oldest %s: %s %s for %s%s%s\n", "", o->running ? "running" : "queued",
                 o->function.c_str(), o->handle.c_str(), age_text(o->age_ns).c_str(),
                 o->running ? " on " : "", o->running ? o->worker.c_str() : "");
  }
}

void write_open_work_text(FILE* out, const OpenWork& w) {
  std::fprintf(out, "\nopen at the end of the capture (%s UTC): %" PRIu64 " running, %" PRIu64 " queued (%" PRIu64
               " never assigned to a worker)\n",
               clock_time(w.at, true).c_str(), w.running, w.queued, w.never_assigned);
  for (const OpenJob& o : w.oldest)
    std::fprintf(out, "  %s %s %s %s for %s%s%s (since %s UTC)\n", o.running ? "running" : "queued ", o.function.c_str(),
                 o.handle.c_str(), o.server.c_str(), age_text(o.age_ns).c_str(), o.running ? " on " : "",
                 o.running ? o.worker.c_str() : "", clock_time(o.since, false).c_str());
  if (!w.workers.empty()) {
    std::fprintf(out, "  workers (last seen; oldest job held):\n");
    for (const auto& e : w.workers) {
      std::fprintf(out, "    %s: last seen %s UTC", e.name.c_str(), clock_time(e.last_seen, true).c_str());
      if (e.oldest.valid)
        std::fprintf(out, "; holds %" PRIu64 ", oldest %s %s for %s", e.running, e.oldest.function.c_str(),
                     e.oldest.handle.c_str(), age_text(e.oldest.age_ns).c_str());
      std::fprintf(out, "\n");
    }
  }
}

}  // namespace gan

namespace gan {

void write_report(FILE* out, const std::string& format, const Analyzer& a, const ReportInfo& info,
                  const ReportExtras& x) {
  if (format == "json") {
    ordered_json r = report_object(a, info);
    if (x.json_line) {
      ordered_json line;
      line["type"] = "report";
      for (auto it = r.begin(); it != r.end(); ++it) line[it.key()] = std::move(it.value());
      r = std::move(line);
    }
    if (!x.live.is_null()) r["live"] = x.live;
    if (x.open) r["open_at_end"] = open_work_json(*x.open);
    if (x.intervals) {
      ordered_json ivs = ordered_json::array();
      for (const Interval& iv : *x.intervals) ivs.push_back(interval_json(iv));
      r["intervals"] = std::move(ivs);
    }
    std::string s = x.json_line ? r.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                                : r.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    std::fprintf(out, "%s\n", s.c_str());
  } else if (format == "csv") {
    if (x.intervals || !x.csv_header) {
      static const std::vector<Interval> none;
      if (x.csv_header) write_interval_csv_header(out);
      for (const Interval& iv : x.intervals ? *x.intervals : none) write_interval_csv_rows(out, iv);
      // The whole-capture rows as write_csv writes them, with the interval columns empty.
      char* buf = nullptr;
      size_t len = 0;
      FILE* m = open_memstream(&buf, &len);
      if (!m) return;
      write_csv(m, a);
      std::fclose(m);
      const char* line = buf;
      const char* end = buf + len;
      if (const char* nl = static_cast<const char*>(std::memchr(line, '\n', size_t(end - line)))) line = nl + 1;
      while (line < end) {
        const char* nl = static_cast<const char*>(std::memchr(line, '\n', size_t(end - line)));
        if (!nl) nl = end;
        std::fprintf(out, "%.*s,,,,,,\n", int(nl - line), line);
        line = nl + 1;
      }
      std::free(buf);
    } else {
      write_csv(out, a);
    }
  } else {
    if (!x.live_text.empty()) std::fprintf(out, "%s\n", x.live_text.c_str());
    write_text(out, a, info);
    if (x.open) write_open_work_text(out, *x.open);
    if (x.intervals) {
      std::fprintf(out, "\n");
      write_interval_text_header(out, x.interval_ns);
      for (const Interval& iv : *x.intervals) write_interval_text(out, iv);
    }
  }
}

}  // namespace gan
