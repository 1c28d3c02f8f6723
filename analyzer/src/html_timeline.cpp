// SPDX-License-Identifier: GPL-2.0-or-later
// The HTML report over time: throughput, open jobs, latency and failures per bin, and the worker
// lanes with their table. The bins are TimeSeries' (html_series.h): what --interval WIDTH gives.
#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "html_charts.h"
#include "html_page.h"
#include "html_report.h"
#include "report_format.h"
#include "svg.h"

namespace gan::html {

namespace {

constexpr size_t kMaxLines = 7;    // functions with a line of their own (the palette's colours)
constexpr size_t kMaxLanes = 40;   // workers with a lane of their own
constexpr size_t kMaxWorkerRows = 500;

const J& at(const J& o, const char* k) {
  static const J null;
  auto it = o.find(k);
  return it == o.end() ? null : *it;
}
uint64_t count(const J& v) { return v.is_number() ? v.get<uint64_t>() : 0; }

std::string width_text(int64_t ns) {
  constexpr int64_t s = 1000000000;
  char b[48];
  if (ns >= 3600 * s && ns % (3600 * s) == 0) std::snprintf(b, sizeof b, "%lld h", (long long)(ns / (3600 * s)));
  else if (ns >= 60 * s && ns % (60 * s) == 0) std::snprintf(b, sizeof b, "%lld min", (long long)(ns / (60 * s)));
  else std::snprintf(b, sizeof b, "%g s", double(ns) / 1e9);
  return b;
}

TimeChart chart(const char* id, const char* title, const char* unit, double scale, bool log_y = false) {
  TimeChart c;
  c.id = id;
  c.title = title;
  c.unit = unit;
  c.scale = scale;
  c.log_y = log_y;
  return c;
}

std::string seconds_arg(int64_t ns) {
  char b[48];
  std::snprintf(b, sizeof b, "%g", double(ns) / 1e9);
  return b;
}

void over_time(std::string& out, const HtmlInput& in) {
  const TimeSeries& ts = *in.series;
  const std::vector<SeriesBin>& bins = ts.bins();
  const size_t n = bins.size();
  const int64_t w = ts.width();
  out += "<section id=\"time\" data-interval-ns=\"" + std::to_string(w) + "\" data-interval-s=\"" + seconds_arg(w) +
         "\" data-bins=\"" + std::to_string(n) + "\"><h2>Over time</h2>\n";
  if (n == 0) {
    out += "<p class=\"muted\">No time axis: the capture has no frames.</p></section>\n";
    return;
  }
  const std::string wt = width_text(w);
  out += "<p class=\"note\">" + std::to_string(n) + " bins of <b>" + esc(wt) + "</b> from " +
         esc(utc_text(bins.front().start, true)) + ": ";
  if (in.live)
    out += "the live capture's " + esc(width_text(in.interval_ns)) + " intervals" +
           (w != in.interval_ns ? ", merged into wider bins to keep at most 300" : "");
  else if (in.auto_interval)
    out += "no <code>--interval</code> was given, so the width is chosen for at most 300 bins (0.1 s, 0.2 s, 1 s, "
           "2 s, 10 s, 20 s, 1 min, 2 min, 10 min, ...)";
  else
    out += "<code>--interval " + esc(seconds_arg(in.interval_ns)) + "</code>" +
           (w != in.interval_ns ? ", merged into wider bins to keep at most 300" : "");
  out += ". The numbers are those of <code>gearman-analyze --format json --interval " + esc(seconds_arg(w)) +
         "</code>: jobs are counted in the bin where they ended, open jobs at each bin's end.</p>\n";

  // Sums over all functions, per bin.
  std::vector<double> complete(n, 0), fail(n, 0), exc(n, 0), inc(n, 0), submitted(n, 0), in_flight(n, 0), queued(n, 0);
  std::vector<uint64_t> fn_jobs(ts.function_names().size(), 0);
  for (size_t i = 0; i < n; ++i)
    for (const auto& kv : bins[i].functions) {
      const SeriesFunction& f = kv.second;
      complete[i] += double(f.complete); fail[i] += double(f.fail); exc[i] += double(f.exception);
      inc[i] += double(f.incomplete); submitted[i] += double(f.submitted);
      in_flight[i] += double(f.in_flight); queued[i] += double(f.queued);
      fn_jobs[kv.first] += f.finished();
    }
  // The functions with the most jobs get lines of their own.
  std::vector<uint32_t> top;
  for (uint32_t k = 0; k < fn_jobs.size(); ++k) if (fn_jobs[k]) top.push_back(k);
  std::stable_sort(top.begin(), top.end(), [&](uint32_t a, uint32_t b) { return fn_jobs[a] > fn_jobs[b]; });
  const size_t with_jobs = top.size();
  if (top.size() > kMaxLines) top.resize(kMaxLines);
  const double per_s = 1e9 / double(w);

  TimeChart thr = chart("thr", "Jobs finished per second, by outcome; submits per second", "jobs/s", per_s);
  thr.stacked = {{"complete", "ok", complete, "data-q=\"sum:complete\""},
                 {"fail", "fail", fail, "data-q=\"sum:fail\""},
                 {"exception", "exc", exc, "data-q=\"sum:exception\""},
                 {"incomplete", "inc", inc, "data-q=\"sum:incomplete\""}};
  thr.lines = {{"submitted", "csub", submitted, "data-q=\"sum:submitted\""}};
  out += "<h3>Throughput</h3>\n";
  time_chart(out, thr, bins.front().start, w, n);
  legend(out, {{"complete", "ok"}, {"fail", "fail"}, {"exception", "exc"}, {"incomplete", "inc"}});
  legend(out, {{"submitted (SUBMIT_JOB* packets)", "csub"}}, true);

  TimeChart open = chart("open", "Jobs open at the end of each bin", "jobs", 1);
  open.lines = {{"in flight", "cfly", in_flight, "data-q=\"sum:in_flight\""},
                {"queued (no worker holds them)", "cq", queued, "data-q=\"sum:queued\""}};
  out += "<h3>In flight and queued</h3>\n";
  time_chart(out, open, bins.front().start, w, n);
  legend(out, {{"in flight", "cfly"}, {"queued (no worker holds them)", "cq"}}, true);

  // Latency per function, log axis.
  std::vector<std::pair<std::string, std::string>> keys;
  TimeChart p50 = chart("p50", "Total time p50 per function (submit to result)", "ms", 1, true);
  TimeChart p99 = chart("p99", "Total time p99 per function (submit to result)", "ms", 1, true);
  TimeChart fails = chart("fails", "Jobs that failed or raised an exception, per function", "jobs", 1);
  fails.unit = "jobs / " + wt;  // counts per bin, not per second: a failure is one job
  std::vector<double> rest_fail(n, 0);
  for (size_t i = 0; i < n; ++i) rest_fail[i] = fail[i] + exc[i];
  for (size_t k = 0; k < top.size(); ++k) {
    const uint32_t fi = top[k];
    const std::string& name = ts.function_names()[fi];
    std::vector<double> a(n, kNone), b(n, kNone), f(n, 0);
    for (size_t i = 0; i < n; ++i) {
      const SeriesFunction* s = bins[i].function(fi);
      if (!s) continue;
      if (s->total_summary.count) {
        a[i] = round6(s->total_summary.p50);
        b[i] = round6(s->total_summary.p99);
      }
      f[i] = double(s->fail + s->exception);
      rest_fail[i] -= f[i];
    }
    const std::string css = "c" + std::to_string(k);
    const std::string fn = "data-fn=\"" + esc(name) + "\"";
    p50.lines.push_back({name, css, a, fn + " data-q=\"total_ms.p50\""});
    p99.lines.push_back({name, css, b, fn + " data-q=\"total_ms.p99\""});
    fails.stacked.push_back({name, css, f, fn + " data-q=\"fail+exception\""});
    keys.emplace_back(name, css);
  }
  fails.stacked.push_back({"other functions", "cother", rest_fail, "data-q=\"rest:fail+exception\""});
  out += "<h3>Latency per function</h3>\n";
  if (with_jobs > top.size())
    out += "<p class=\"note\">The " + std::to_string(top.size()) + " functions with the most jobs; " +
           std::to_string(with_jobs - top.size()) + " more are in the JSON.</p>\n";
  time_chart(out, p50, bins.front().start, w, n);
  time_chart(out, p99, bins.front().start, w, n);
  legend(out, keys, true);
  out += "<h3>Failures</h3>\n";
  time_chart(out, fails, bins.front().start, w, n);
  keys.emplace_back("other functions", "cother");
  legend(out, keys);
  out += "</section>\n";
}

void workers(std::string& out, const HtmlInput& in, const J& r) {
  const TimeSeries& ts = *in.series;
  const std::vector<SeriesBin>& bins = ts.bins();
  const size_t n = bins.size();
  const int64_t w = ts.width();
  const J& ws = at(r, "workers");
  out += "<section id=\"workers\"><h2>Workers</h2>\n";
  if (ws.empty()) {
    out += "<p class=\"muted\">No worker in the capture (no connection asked for work).</p></section>\n";
    return;
  }
  if (n > 0) {
    // Lanes: the busiest workers, one each; the others together.
    const auto& names = ts.worker_names();
    std::vector<int64_t> busy(names.size(), 0);
    std::vector<bool> seen(names.size(), false);
    for (const SeriesBin& b : bins)
      for (const auto& kv : b.workers) { busy[kv.first] += kv.second.busy_ns; seen[kv.first] = true; }
    std::vector<uint32_t> order;
    for (uint32_t k = 0; k < names.size(); ++k) if (seen[k]) order.push_back(k);
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return busy[a] != busy[b] ? busy[a] > busy[b] : names[a] < names[b];
    });
    std::vector<uint32_t> rest;
    if (order.size() > kMaxLanes) {
      rest.assign(order.begin() + kMaxLanes, order.end());
      order.resize(kMaxLanes);
    }
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return names[a] < names[b]; });
    // Which functions each worker can do (CAN_DO), to see it idle while those were queued.
    std::unordered_map<std::string, const WorkerStats*> by_name;
    for (const WorkerStats& x : in.analyzer->workers()) if (x.merged_into < 0) by_name[x.name] = &x;
    std::unordered_map<std::string, uint32_t> fn_index;
    for (uint32_t k = 0; k < ts.function_names().size(); ++k) fn_index[ts.function_names()[k]] = k;
    std::vector<double> queued(n, 0);
    for (size_t i = 0; i < n; ++i)
      for (const auto& kv : bins[i].functions) queued[i] += double(kv.second.queued);
    std::vector<Lane> lanes;
    for (uint32_t k : order) {
      Lane l;
      l.name = names[k];
      l.attrs = "data-worker=\"" + esc(names[k]) + "\"";
      std::vector<uint32_t> can;
      auto it = by_name.find(names[k]);
      if (it != by_name.end())
        for (const auto& f : it->second->functions) {
          auto fi = fn_index.find(f);
          if (fi != fn_index.end()) can.push_back(fi->second);
        }
      for (size_t i = 0; i < n; ++i) {
        const SeriesWorker* s = bins[i].worker(k);
        l.busy.push_back(s ? round6(double(s->busy_ns) / double(bins[i].end - bins[i].start)) : kNone);
        l.lost.push_back(s ? s->lost : 0);
        bool waiting = false;
        for (uint32_t f : can) {
          const SeriesFunction* sf = bins[i].function(f);
          if (sf && sf->queued) { waiting = true; break; }
        }
        l.waiting.push_back(waiting);
      }
      lanes.push_back(std::move(l));
    }
    if (!rest.empty()) {
      Lane l;
      l.name = "(" + std::to_string(rest.size()) + " other workers)";
      l.attrs = "data-other=\"" + std::to_string(rest.size()) + "\"";
      for (size_t i = 0; i < n; ++i) {
        int64_t b = 0;
        uint64_t lost = 0;
        bool any = false;
        for (uint32_t k : rest)
          if (const SeriesWorker* s = bins[i].worker(k)) { b += s->busy_ns; lost += s->lost; any = true; }
        l.busy.push_back(any ? double(b) / double(bins[i].end - bins[i].start) / double(rest.size()) : kNone);
        l.lost.push_back(lost);
        l.waiting.push_back(false);
      }
      lanes.push_back(std::move(l));
    }
    out += "<p class=\"note\">One lane per worker (by client ID, else connection), shaded by the share of each "
           "bin it was running a job. Grey: connected and idle; orange: idle while jobs of its functions were "
           "queued at the bin's end; &#9660;: jobs lost when its connection closed. On top: the jobs queued.</p>\n";
    lanes_chart(out, lanes, queued, bins.front().start, w, n);
    out += "<div class=\"legend\"><span class=\"lg\"><span class=\"kb b1\"></span>busy &lt;25%</span>"
           "<span class=\"lg\"><span class=\"kb b2\"></span>&lt;50%</span><span class=\"lg\"><span class=\"kb b3\">"
           "</span>&lt;75%</span><span class=\"lg\"><span class=\"kb b4\"></span>75% and more</span>"
           "<span class=\"lg\"><span class=\"kb idle\"></span>idle</span><span class=\"lg\"><span class=\"kb "
           "idlewait\"></span>idle while its jobs waited</span><span class=\"lg\"><span class=\"lostkey\">&#9660;"
           "</span>jobs lost</span></div>\n";
    if (!rest.empty())
      out += "<p class=\"note\">The " + std::to_string(kMaxLanes) + " busiest workers have lanes; the other " +
             std::to_string(rest.size()) + " share the last one (their average busy share).</p>\n";
  }

  // The table, busiest first.
  const double duration_ms = at(at(r, "capture"), "duration_s").is_number()
                                 ? at(at(r, "capture"), "duration_s").get<double>() * 1000
                                 : 0;
  std::vector<size_t> rows(ws.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  std::stable_sort(rows.begin(), rows.end(), [&](size_t a, size_t b) {
    return at(ws[a], "busy_ms").get<double>() > at(ws[b], "busy_ms").get<double>();
  });
  out += "<div class=\"scroll\"><table class=\"grid sortable\"><thead><tr><th>worker</th><th>address</th>"
         "<th class=\"n\">jobs</th><th class=\"n\">complete</th><th class=\"n\">fail</th><th class=\"n\">exception"
         "</th><th class=\"n\">lost</th><th class=\"n\">open at end</th><th class=\"n\">busy</th><th>busy share of "
         "the capture</th><th class=\"n\">connections</th><th>functions</th></tr></thead>"
         "<tbody>\n";
  for (size_t k = 0; k < rows.size() && k < kMaxWorkerRows; ++k) {
    const size_t i = rows[k];
    const J& x = ws[i];
    const std::string p = "/workers/" + std::to_string(i);
    const double busy_ms = at(x, "busy_ms").get<double>();
    const double share = duration_ms > 0 ? 100.0 * busy_ms / duration_ms : 0;
    std::string fl, all;
    const J& fns = at(x, "functions");
    // Four in the cell, at most 30 in its tooltip: a worker may announce thousands (the JSON
    // has them all), and this table has up to 500 rows.
    for (size_t f = 0; f < fns.size() && f < 30; ++f) {
      all += (f ? ", " : "") + fns[f].get<std::string>();
      if (f < 4) fl += (f ? ", " : "") + esc(fns[f].get<std::string>());
    }
    if (fns.size() > 30) all += ", ... (" + std::to_string(fns.size()) + " in all)";
    if (fns.size() > 4) fl += ", +" + std::to_string(fns.size() - 4);
    const std::string name = at(x, "name").get<std::string>(), address = at(x, "address").get<std::string>();
    out += "<tr><td class=\"name\" title=\"" + esc(name) + "\">" + esc(name) + "</td><td>" +
           (address == name ? std::string() : esc(address)) + "</td>";
    for (const char* key : {"jobs", "complete", "fail", "exception", "lost", "open_jobs"})
      out += num_td(p + "/" + key, at(x, key));
    out += num_td(p + "/busy_ms", at(x, "busy_ms"), true);
    // A meter as SVG, not a styled span: the CSP allows no style attributes.
    out += "<td data-sort=\"" + exact(share) + "\"><svg class=\"meter\" viewBox=\"0 0 70 8\" width=\"70\" "
           "height=\"8\" aria-hidden=\"true\"><rect width=\"70\" height=\"8\" rx=\"4\" class=\"idle\"/><rect width=\"" +
           px(std::min(100.0, share) * 0.7) + "\" height=\"8\" rx=\"4\" class=\"mfill\"/></svg> " + percent_text(share) +
           "</td>";
    out += num_td(p + "/connections", at(x, "connections")) +
           "<td class=\"fnlist name\" title=\"" + esc(all) + "\">" + fl + "</td></tr>\n";
  }
  out += "</tbody></table></div>\n";
  if (ws.size() > kMaxWorkerRows)
    out += "<p class=\"note\">" + std::to_string(ws.size() - kMaxWorkerRows) +
           " less busy workers are left out here (all are in --format json).</p>\n";
  out += "</section>\n";
  (void)count;
}

}  // namespace

void timeline_sections(std::string& out, const HtmlInput& in, const J& r) {
  over_time(out, in);
  workers(out, in, r);
}

}  // namespace gan::html
