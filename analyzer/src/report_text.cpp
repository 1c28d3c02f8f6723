// The text report: what a person reads first.
#include <algorithm>
#include <cinttypes>

#include "report.h"
#include "report_format.h"

namespace gan {

namespace {

std::string lat_cell(const LogHistogram& h) {
  if (h.count() == 0) return "-";
  char b[160];
  std::snprintf(b, sizeof b, "n=%" PRIu64 " min=%.3f p50=%.3f p90=%.3f p99=%.3f max=%.3f mean=%.3f",
                h.count(), ms(double(h.min())), ms(h.percentile(.5)), ms(h.percentile(.9)),
                ms(h.percentile(.99)), ms(double(h.max())), ms(h.mean()));
  return b;
}

// "20ms", "500us", "2s": a bucket edge.
std::string edge_label(uint64_t ns) {
  char b[32];
  if (ns >= 1000000000ull) std::snprintf(b, sizeof b, "%" PRIu64 "s", uint64_t(ns / 1000000000ull));
  else if (ns >= 1000000ull) std::snprintf(b, sizeof b, "%" PRIu64 "ms", uint64_t(ns / 1000000ull));
  else std::snprintf(b, sizeof b, "%" PRIu64 "us", uint64_t(ns / 1000ull));
  return b;
}

// Buckets 1-2-5 per decade from 10 us to 1000 s, one bar each, scaled to the largest, from the
// first bucket with samples to the last (the empty ones between show the shape).
void latency_bars(FILE* out, const char* what, const LogHistogram& h) {
  if (h.count() == 0) return;
  std::vector<uint64_t> edges;
  for (uint64_t decade = 10000ull; decade <= 100000000000ull; decade *= 10)
    for (uint64_t m : {1, 2, 5}) edges.push_back(decade * m);
  edges.push_back(1000000000000ull);
  std::vector<uint64_t> counts(edges.size() + 1);
  uint64_t prev = 0;
  for (size_t i = 0; i < edges.size(); ++i) {
    const uint64_t c = h.count_below(edges[i]);
    counts[i] = c - prev;
    prev = c;
  }
  counts[edges.size()] = h.count() - prev;
  size_t first = 0, last = counts.size() - 1;
  while (counts[first] == 0) ++first;
  while (counts[last] == 0) --last;
  const uint64_t mx = *std::max_element(counts.begin(), counts.end());
  std::fprintf(out, "    %s time:\n", what);
  for (size_t i = first; i <= last; ++i) {
    std::string label = i == 0 ? "<" + edge_label(edges[0])
                        : i == edges.size() ? ">=" + edge_label(edges.back())
                                            : edge_label(edges[i - 1]) + "-" + edge_label(edges[i]);
    const int bar = counts[i] ? int((counts[i] * 30 + mx - 1) / mx) : 0;
    std::fprintf(out, "      %-12s %8" PRIu64 " %.*s\n", label.c_str(), counts[i], bar, "##############################");
  }
}

std::string frame_cell(uint64_t f) { return f ? std::to_string(f) : std::string("-"); }

std::string ms_cell(int64_t ns) {
  if (ns == kNoTime) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", double(ns) / 1e6);
  return b;
}

}  // namespace

void write_text(FILE* out, const Analyzer& a, const ReportInfo& info) {
  const Totals& t = a.totals();
  std::fprintf(out, "gearman-analyze %s\n", info.version.c_str());
  std::fprintf(out, "capture: %zu file(s), %" PRIu64 " frames, %s to %s (%.3f s)\n", info.files.size(), t.frames,
               calendar_time(t.first_ns).c_str(), calendar_time(t.last_ns).c_str(),
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
  auto fns = reported_functions(a);
  std::sort(fns.begin(), fns.end(), [](auto* x, auto* y) { return x->jobs != y->jobs ? x->jobs > y->jobs : x->name < y->name; });
  for (const FunctionStats* f : fns) {
    std::fprintf(out, "  %s: %" PRIu64 " jobs (%" PRIu64 " complete, %" PRIu64 " fail, %" PRIu64
                 " exception, %" PRIu64 " incomplete, %" PRIu64 " background), %.1f%% failed\n",
                 f->name.c_str(), f->jobs, f->complete, f->fail, f->exception, f->incomplete, f->background,
                 f->fail_percent());
    std::fprintf(out, "    queue  %s\n", lat_cell(f->queue).c_str());
    std::fprintf(out, "    run    %s\n", lat_cell(f->run).c_str());
    std::fprintf(out, "    total  %s\n", lat_cell(f->total).c_str());
    if (f->depth_samples)
      std::fprintf(out, "    queued (admin status): %" PRIu64 " samples, max %" PRIu64 ", last %" PRIu64 "\n",
                   f->depth_samples, f->depth_max, f->depth_last);
    if (f->total.count()) latency_bars(out, "total", f->total);
    else latency_bars(out, "run", f->run);  // background-only functions: no client waits
    for (const auto& [text, n] : f->exceptions.sorted())
      std::fprintf(out, "    exception %" PRIu64 "x: \"%s\"\n", n, printable(text).c_str());
  }
  std::fprintf(out, "\nworkers\n");
  for (const auto& w : a.workers()) {
    if (w.merged_into >= 0) continue;  // counted in the entry with the same client ID
    std::string fl;
    for (const auto& s : w.functions) { if (!fl.empty()) fl += ' '; fl += s; }
    std::string who = w.name == w.address ? w.name : w.name + " (" + w.address + ")";
    std::fprintf(out, "  %s: %" PRIu64 " jobs (%" PRIu64 "/%" PRIu64 "/%" PRIu64
                 " complete/fail/exception), busy %.3f ms, %" PRIu64 " sleeps, %" PRIu64
                 " wakes, %" PRIu64 " lost on disconnect, %" PRIu64 " open at end, last seen %s; can do: %s\n",
                 who.c_str(), w.jobs, w.complete, w.fail, w.exception, double(w.busy_ns) / 1e6, w.sleeps, w.wakes,
                 w.lost, w.open_job, calendar_time(w.last_ns).c_str(), fl.empty() ? "-" : fl.c_str());
  }
  if (!a.clients().empty()) {
    std::fprintf(out, "\nclients (by client ID, else address; total time in ms)\n");
    for (const auto& c : a.clients()) {
      std::fprintf(out, "  %s: %" PRIu64 " connection(s), %" PRIu64 " submits (%" PRIu64 " refused), %" PRIu64
                   " jobs (%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 " complete/fail/exception/incomplete, %" PRIu64
                   " background)",
                   c.name.c_str(), c.connections, c.submits, c.submit_errors, c.jobs, c.complete, c.fail,
                   c.exception, c.incomplete, c.background);
      if (c.total.count())
        std::fprintf(out, ", total p50=%.3f p99=%.3f", ms(c.total.percentile(.5)), ms(c.total.percentile(.99)));
      std::fprintf(out, "\n");
    }
  }
  std::fprintf(out, "\nservers\n");
  for (const auto& s : a.servers())
    std::fprintf(out, "  %s: %" PRIu64 " connections, %" PRIu64 " jobs, %" PRIu64 " PDUs, %" PRIu64 " admin commands\n",
                 s.endpoint.c_str(), s.connections, s.jobs, s.pdus, s.admin_commands);
  const auto errors = a.error_codes().sorted();
  if (!errors.empty()) {
    std::fprintf(out, "\nERROR packets from servers, by code\n");
    for (const auto& [code, n] : errors) std::fprintf(out, "  %s: %" PRIu64 "\n", printable(code).c_str(), n);
  }
  auto slow = a.slowest();
  if (!slow.empty()) {
    std::fprintf(out, "\nslowest jobs (total, else run, else queue; ms; '-' = not in the capture)\n");
    for (const auto& r : slow) {
      std::fprintf(out, "  %s %s unique=%s %s worker=%s client=%s queue=%s run=%s total=%s frames submit=%s"
                   " created=%s assign=%s done=%s result=%s\n",
                   r.handle.c_str(), r.function.c_str(), r.unique.c_str(), outcome_name(r.outcome),
                   r.worker.empty() ? "-" : r.worker.c_str(), r.client.empty() ? "-" : r.client.c_str(),
                   ms_cell(r.queue_ns()).c_str(), ms_cell(r.run_ns()).c_str(), ms_cell(r.total_ns()).c_str(),
                   frame_cell(r.f_submit).c_str(), frame_cell(r.f_created).c_str(), frame_cell(r.f_assign).c_str(),
                   frame_cell(r.f_worker_done).c_str(), frame_cell(r.f_client_done).c_str());
    }
  }
  auto warns = a.warnings();
  std::fprintf(out, "\nwarnings%s\n", warns.empty() ? ": none" : "");
  for (const auto& w : warns)
    std::fprintf(out, "  %s: %" PRIu64 " time(s), %" PRIu64 " bytes, first at frame %" PRIu64 ": %s\n",
                 w.kind.c_str(), w.count, w.bytes, w.first_frame, w.detail.c_str());
}

}  // namespace gan
