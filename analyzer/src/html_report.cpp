// SPDX-License-Identifier: GPL-2.0-or-later
// The HTML page: head, summary, functions, clients, slowest and stuck jobs. The sections over
// time (charts and worker lanes) are in html_timeline.cpp. Numbers come from the JSON report
// object itself (report_object), so the page and --format json cannot disagree.
#include "html_report.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <set>

#include "html_charts.h"
#include "html_page.h"
#include "interval_report.h"
#include "report_format.h"
#include "sha256.h"
#include "svg.h"

namespace gan {

namespace html {
void timeline_sections(std::string& out, const HtmlInput& in, const J& r);  // html_timeline.cpp
}

using namespace html;

namespace {

constexpr size_t kMaxFunctionCharts = 40;  // functions with their own distribution chart
constexpr size_t kMaxFunctionRows = 500;   // rows of the functions table (a capture may name a function per job)
constexpr size_t kMaxHeldRows = 100;       // workers holding jobs at the end
constexpr size_t kMaxClients = 200;        // rows of the clients table

std::string jp(const std::string& base, size_t i) { return base + "/" + std::to_string(i); }

// A name from the wire in a cell: cut on screen when long, whole in its tooltip.
std::string name_td(const std::string& name) {
  return "<td class=\"name\" title=\"" + esc(name) + "\">" + esc(name) + "</td>";
}

const J& at(const J& o, const char* k) {
  static const J null;
  auto it = o.find(k);
  return it == o.end() ? null : *it;
}

double number(const J& v) { return v.is_number() ? v.get<double>() : 0.0; }
uint64_t count(const J& v) { return v.is_number_unsigned() ? v.get<uint64_t>() : v.is_number() ? uint64_t(v.get<double>()) : 0; }

// 'x' for a shell, with ' as '\''.
std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-+=:,@%") ==
                        std::string::npos)
    return s;
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return o + "'";
}

// How tshark reads the capture these frame numbers count in.
std::string tshark_input(const HtmlInput& in) {
  const auto& files = in.info->files;
  if (in.live) {
    const J& saved = at(*in.live, "saved_to");
    if (saved.is_string() && !saved.get<std::string>().empty()) return "tshark -r " + shell_quote(saved.get<std::string>());
    return "tshark -r CAPTURE";
  }
  if (files.size() == 1 && files[0] != "-") return "tshark -r " + shell_quote(files[0]);
  if (files.size() > 1 && std::find(files.begin(), files.end(), "-") == files.end()) {
    // Frame numbers run on across the files, as mergecap -a (concatenate) numbers them.
    std::string m = "mergecap -a -w - ";
    for (const auto& f : files) m += shell_quote(f) + " ";
    return m + "| tshark -r -";
  }
  return "tshark -r CAPTURE";
}

// The second row of a job: its frames and the command that shows them.
std::string detail_row(const HtmlInput& in, const std::string& frame_list, std::vector<uint64_t> frames, int cols) {
  frames.erase(std::remove(frames.begin(), frames.end(), 0), frames.end());
  std::sort(frames.begin(), frames.end());
  frames.erase(std::unique(frames.begin(), frames.end()), frames.end());
  std::string o = "<tr class=\"detail\"><td colspan=\"" + std::to_string(cols) + "\">frames: " + frame_list;
  if (frames.empty()) return o + " (none in the capture)</td></tr>\n";
  std::string f = "frame.number in {";
  for (size_t i = 0; i < frames.size(); ++i) f += (i ? "," : "") + std::to_string(frames[i]);  // 4.0 wants commas
  f += "}";
  return o + "<br><code class=\"cmd\">" + esc(tshark_input(in) + " -Y '" + f + "'") + "</code></td></tr>\n";
}

std::string frame_list(const J& frames, const std::string& path, std::vector<uint64_t>& all) {
  std::string o;
  static const std::pair<const char*, const char*> kNames[] = {
      {"submit", "submit"}, {"created", "created"}, {"assign", "assigned"}, {"worker_done", "worker's result"},
      {"client_done", "client's result"}};
  for (const auto& k : kNames) {
    const J& v = at(frames, k.first);
    if (v.is_null()) continue;
    all.push_back(count(v));
    o += std::string("<span class=\"fr\">") + k.second + " <span" + src(path + "/" + k.first, v) + ">" +
         (count(v) ? std::to_string(count(v)) : std::string("–")) + "</span></span>";
  }
  return o;
}

// The text of the page's one <style> and one <script>, and their CSP hashes: the browser runs
// and applies only these (no 'unsafe-inline'), so markup that escaping let through by mistake
// still could not run a script, style the page or load anything.
const std::string& style_text() {
  static const std::string t = std::string("\n") + kCss;
  return t;
}
const std::string& script_text() {
  static const std::string t = std::string("\n") + kScript;
  return t;
}
const std::string& style_hash() {
  static const std::string h = csp_hash(style_text());
  return h;
}
const std::string& script_hash() {
  static const std::string h = csp_hash(script_text());
  return h;
}

// ---------------------------------------------------------------------------------------------

void head(std::string& out, const HtmlInput& in) {
  std::string title = "gearman-analyze";
  if (in.live) title += ": live on " + at(*in.live, "interface").get<std::string>();
  else if (!in.info->files.empty()) title += ": " + in.info->files[0] + (in.info->files.size() > 1 ? " ..." : "");
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         // The browser itself refuses any load: no network, no other file; inline style and
         // script only, images only as data: URIs.
         "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src " + style_hash() +
         "; script-src " + script_hash() + "; base-uri 'none'; form-action 'none'\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<meta name=\"color-scheme\" content=\"light dark\">\n"
         "<meta name=\"generator\" content=\"gearman-analyze " + esc(in.info->version) + "\">\n"
         "<title>" + esc(title) + "</title>\n<style>" + style_text() + "</style>\n</head>\n<body>\n";
}

void header(std::string& out, const HtmlInput& in, const J& r) {
  out += "<header><h1>Gearman jobs on the wire</h1><p class=\"sub\">";
  if (in.live) {
    const J& l = *in.live;
    out += "live capture on <b>" + esc(at(l, "interface").get<std::string>()) + "</b> (" +
           esc(at(l, "filter").get<std::string>().empty() ? "every port" : at(l, "filter").get<std::string>()) +
           "), stopped by " + esc(at(l, "stopped_by").get<std::string>());
  } else {
    const auto& files = in.info->files;
    out += files.size() == 1 ? "capture " : std::to_string(files.size()) + " files read as one capture: ";
    for (size_t i = 0; i < files.size() && i < 20; ++i)
      out += (i ? ", " : "") + std::string("<b>") + esc(files[i] == "-" ? "stdin" : files[i]) + "</b>";
    if (files.size() > 20) out += ", ... (" + std::to_string(files.size()) + " in all)";
  }
  out += " &middot; gearman-analyze " + esc(at(r, "version").get<std::string>()) + "</p>\n";
  out += "<nav><a href=\"#summary\">Summary</a><a href=\"#functions\">Functions</a><a href=\"#time\">Over time</a>"
         "<a href=\"#workers\">Workers</a><a href=\"#clients\">Clients</a><a href=\"#jobs\">Slowest and stuck jobs</a>"
         "</nav></header>\n<main>\n";
}

void summary(std::string& out, const HtmlInput& in, const J& r) {
  const J& cap = at(r, "capture");
  const J& jobs = at(r, "jobs");
  const J& pk = at(r, "packets");
  const Totals& t = in.analyzer->totals();
  out += "<section id=\"summary\"><h2>Summary</h2>\n<div class=\"cards\">";
  auto card = [&](const char* label, const std::string& value, const std::string& sub = "") {
    out += std::string("<div class=\"card\"><div class=\"cl\">") + label + "</div><div class=\"cv\">" + value +
           "</div>" + (sub.empty() ? "" : "<div class=\"cs\">" + sub + "</div>") + "</div>";
  };
  const bool any = t.first_ns != kNoTime;
  // The clock big, the date under it (UTC).
  auto when = [&](const char* label, const char* key, int64_t ns) {
    if (!any) return card(label, "–");
    const std::string u = utc_text(ns, true);  // "2026-11-23 14:57:58.471 UTC"
    card(label, "<span" + src(std::string("/capture/") + key, at(cap, key)) + ">" + esc(u.substr(11, 12)) + "</span>",
         esc(u.substr(0, 10)) + " UTC");
  };
  when("Start", "first_time", t.first_ns);
  when("End", "last_time", t.last_ns);
  card("Duration", "<span" + src("/capture/duration_s", at(cap, "duration_s")) + ">" +
                       esc(ms_text(number(at(cap, "duration_s")) * 1000)) + "</span>");
  card("Frames", num_span("/capture/frames", at(cap, "frames")),
       num_span("/packets/gearman", at(pk, "gearman")) + " Gearman PDUs, " +
           num_span("/packets/connections", at(pk, "connections")) + " connections");
  card("Jobs", num_span("/jobs/total", at(jobs, "total")),
       num_span("/jobs/background", at(jobs, "background")) + " background");
  const J& open = at(r, "open_at_end");
  card("Open at the end", num_span("/open_at_end/running", at(open, "running")) + " running, " +
                              num_span("/open_at_end/queued", at(open, "queued")) + " queued",
       num_span("/open_at_end/never_assigned", at(open, "never_assigned")) + " never assigned to a worker");
  out += "</div>\n";

  // Jobs by outcome.
  out += "<h3>Jobs by outcome</h3>\n<div class=\"outcomes\">";
  stacked_bar(out,
              {{"complete", "ok", count(at(jobs, "complete"))},
               {"fail", "fail", count(at(jobs, "fail"))},
               {"exception", "exc", count(at(jobs, "exception"))},
               {"incomplete", "inc", count(at(jobs, "incomplete"))}},
              860, 18);
  out += "<table class=\"kv\"><tr>";
  const uint64_t total = count(at(jobs, "total"));
  for (auto k : {std::pair<const char*, const char*>{"complete", "ok"}, {"fail", "fail"}, {"exception", "exc"},
                 {"incomplete", "inc"}}) {
    const uint64_t n = count(at(jobs, k.first));
    out += std::string("<td><span class=\"kb ") + k.second + "\"></span>" + k.first + " " +
           num_span(std::string("/jobs/") + k.first, at(jobs, k.first)) + " <span class=\"muted\">(" +
           percent_text(total ? 100.0 * double(n) / double(total) : 0) + ")</span></td>";
  }
  out += "</tr></table></div>\n<p class=\"facts\">";
  static const std::pair<const char*, const char*> kFacts[] = {
      {"coalesced_submits", "coalesced submits"}, {"unknown_start", "began before the capture"},
      {"reassigned", "re-assigned"}, {"submit_errors", "submits refused"}, {"reordered", "in a non-causal wire order"}};
  for (size_t i = 0; i < sizeof kFacts / sizeof kFacts[0]; ++i)
    out += (i ? " &middot; " : "") + num_span(std::string("/jobs/") + kFacts[i].first, at(jobs, kFacts[i].first)) +
           " " + kFacts[i].second;
  out += "</p>\n";

  // Warnings and ERROR packets.
  const J& warnings = at(r, "warnings");
  out += "<h3>Warnings</h3>\n";
  if (warnings.empty()) {
    out += "<p class=\"okmsg\">None: everything in the capture was read.</p>\n";
  } else {
    out += "<table class=\"grid\"><thead><tr><th>kind</th><th class=\"n\">count</th><th class=\"n\">bytes</th>"
           "<th class=\"n\">first frame</th><th>detail</th></tr></thead><tbody>\n";
    for (size_t i = 0; i < warnings.size(); ++i) {
      const J& w = warnings[i];
      const std::string p = jp("/warnings", i);
      out += "<tr><td class=\"warn\">" + esc(at(w, "kind").get<std::string>()) + "</td>" + num_td(p + "/count", at(w, "count")) +
             num_td(p + "/bytes", at(w, "bytes")) + num_td(p + "/first_frame", at(w, "first_frame")) + "<td>" +
             esc(at(w, "detail").get<std::string>()) + "</td></tr>\n";
    }
    out += "</tbody></table>\n";
  }
  const J& errors = at(r, "errors");
  if (!errors.empty()) {
    out += "<h3>ERROR packets from servers</h3>\n<table class=\"grid\"><thead><tr><th>code</th><th class=\"n\">count"
           "</th></tr></thead><tbody>\n";
    for (size_t i = 0; i < errors.size(); ++i)
      out += "<tr><td>" + esc(at(errors[i], "code").get<std::string>()) + "</td>" +
             num_td(jp("/errors", i) + "/count", at(errors[i], "count")) + "</tr>\n";
    out += "</tbody></table>\n";
  }
  out += "</section>\n";
}

// ---------------------------------------------------------------------------------------------

void functions(std::string& out, const HtmlInput& in, const J& r) {
  const J& fns = at(r, "functions");
  out += "<section id=\"functions\"><h2>Functions</h2>\n";
  if (fns.empty()) {
    out += "<p class=\"muted\">No jobs in this capture.</p></section>\n";
    return;
  }
  out += "<p class=\"note\">queue = JOB_CREATED to the assignment, run = the assignment to the worker's result, "
         "total = the submit to the result at the client. Click a heading to sort.</p>\n"
         "<div class=\"scroll\"><table class=\"grid sortable\" id=\"fntable\"><thead><tr><th>function</th>"
         "<th class=\"n\">jobs</th><th class=\"n\">complete</th><th class=\"n\">fail</th><th class=\"n\">exception</th>"
         "<th class=\"n\">incomplete</th><th class=\"n\">failed</th><th class=\"n\">queue p50</th>"
         "<th class=\"n\">queue p99</th><th class=\"n\">run p50</th><th class=\"n\">run p99</th>"
         "<th class=\"n\">total p50</th><th class=\"n\">total p99</th></tr></thead><tbody>\n";
  // The functions with the most jobs: all of them in the table up to kMaxFunctionRows, a card
  // each for the first kMaxFunctionCharts; both in the JSON's (name) order.
  std::vector<size_t> by_jobs(fns.size());
  for (size_t i = 0; i < by_jobs.size(); ++i) by_jobs[i] = i;
  std::stable_sort(by_jobs.begin(), by_jobs.end(),
                   [&](size_t a, size_t b) { return count(at(fns[a], "jobs")) > count(at(fns[b], "jobs")); });
  std::vector<size_t> rows(by_jobs.begin(), by_jobs.begin() + std::min(by_jobs.size(), kMaxFunctionRows));
  std::vector<size_t> order(by_jobs.begin(), by_jobs.begin() + std::min(by_jobs.size(), kMaxFunctionCharts));
  std::sort(rows.begin(), rows.end());
  std::sort(order.begin(), order.end());
  for (size_t i : rows) {
    const J& f = fns[i];
    const std::string p = jp("/functions", i);
    const std::string name = esc(at(f, "name").get<std::string>());
    const bool card = std::binary_search(order.begin(), order.end(), i);
    out += "<tr><td class=\"name\" title=\"" + name + "\">" +
           (card ? "<a href=\"#fn" + std::to_string(i) + "\">" + name + "</a>" : name) + "</td>";
    for (const char* k : {"jobs", "complete", "fail", "exception", "incomplete"}) out += num_td(p + "/" + k, at(f, k));
    out += "<td class=\"n\"" + src(p + "/fail_percent", at(f, "fail_percent")) + ">" +
           percent_text(number(at(f, "fail_percent"))) + "</td>";
    for (const char* k : {"queue_ms", "run_ms", "total_ms"})
      for (const char* q : {"p50", "p99"}) out += num_td(p + "/" + k + "/" + q, at(at(f, k), q), true);
    out += "</tr>\n";
  }
  out += "</tbody></table></div>\n";
  if (fns.size() > rows.size())
    out += "<p class=\"note\">" + std::to_string(fns.size() - rows.size()) +
           " functions with fewer jobs are left out of the table (all are in --format json).</p>\n";

  // The busiest functions get a card each with their distributions.
  const std::vector<const FunctionStats*> stats = reported_functions(*in.analyzer);  // the JSON's order
  legend(out, {{"queue", "cqueue"}, {"run", "crun"}, {"total", "ctotal"}});
  for (size_t i : order) {
    const J& f = fns[i];
    const FunctionStats* fs = i < stats.size() ? stats[i] : nullptr;
    const std::string p = jp("/functions", i);
    const uint64_t ended = count(at(f, "complete")) + count(at(f, "fail")) + count(at(f, "exception"));
    out += "<article class=\"fn\" id=\"fn" + std::to_string(i) + "\"><h3>" + esc(at(f, "name").get<std::string>()) +
           "</h3>\n<p>" + num_span(p + "/jobs", at(f, "jobs")) + (count(at(f, "jobs")) == 1 ? " job: " : " jobs: ") + num_span(p + "/complete", at(f, "complete")) +
           " complete, " + num_span(p + "/fail", at(f, "fail")) + " fail, " + num_span(p + "/exception", at(f, "exception")) +
           " exception, " + num_span(p + "/incomplete", at(f, "incomplete")) + " incomplete (" +
           num_span(p + "/background", at(f, "background")) + " background). <b><span" +
           src(p + "/fail_percent", at(f, "fail_percent")) + ">" + percent_text(number(at(f, "fail_percent"))) +
           "</span></b> of the " + count_text(ended) + " that ended failed or raised an exception.";
    const J& depth = at(f, "queue_depth");
    if (count(at(depth, "samples")))
      out += " Admin <code>status</code>: " + num_span(p + "/queue_depth/samples", at(depth, "samples")) +
             " samples, queued at most " + num_span(p + "/queue_depth/max", at(depth, "max")) + ", last " +
             num_span(p + "/queue_depth/last", at(depth, "last")) + ".";
    out += "</p>\n<div class=\"fnrow\"><div class=\"fnbar\">";
    stacked_bar(out,
                {{"complete", "ok", count(at(f, "complete"))},
                 {"fail", "fail", count(at(f, "fail"))},
                 {"exception", "exc", count(at(f, "exception"))},
                 {"incomplete", "inc", count(at(f, "incomplete"))}},
                300, 10);
    out += "</div></div>\n";
    if (fs) {
      std::vector<Distribution> rows;
      for (auto k : {std::tuple<const char*, const char*, const LogHistogram*>{"queue", "cqueue", &fs->queue},
                     {"run", "crun", &fs->run}, {"total", "ctotal", &fs->total}}) {
        const std::string key = std::string(std::get<0>(k)) + "_ms";
        const J& lat = at(f, key.c_str());
        Distribution d;
        d.name = std::get<0>(k);
        d.css = std::get<1>(k);
        d.h = std::get<2>(k);
        d.json_path = p + "/" + key;
        if (!at(lat, "p50").is_null()) {
          d.p50 = number(at(lat, "p50"));
          d.p90 = number(at(lat, "p90"));
          d.p99 = number(at(lat, "p99"));
        }
        rows.push_back(d);
      }
      distribution_chart(out, "latency distributions of " + at(f, "name").get<std::string>(), rows);
    }
    const J& exc = at(f, "exceptions");
    if (!exc.empty()) {
      out += "<table class=\"grid excs\"><thead><tr><th>exception text (WORK_EXCEPTION data)</th><th class=\"n\">count"
             "</th></tr></thead><tbody>\n";
      for (size_t k = 0; k < exc.size(); ++k)
        out += "<tr><td><code>" + esc(at(exc[k], "text").get<std::string>()) + "</code></td>" +
               num_td(jp(p + "/exceptions", k) + "/count", at(exc[k], "count")) + "</tr>\n";
      out += "</tbody></table>\n";
    }
    out += "</article>\n";
  }
  if (fns.size() > kMaxFunctionCharts)
    out += "<p class=\"note\">" + std::to_string(fns.size() - kMaxFunctionCharts) +
           " functions with fewer jobs are in the table only.</p>\n";
  out += "</section>\n";
}

// ---------------------------------------------------------------------------------------------

void clients(std::string& out, const J& r) {
  const J& cs = at(r, "clients");
  out += "<section id=\"clients\"><h2>Clients</h2>\n";
  if (cs.empty()) {
    out += "<p class=\"muted\">No client submitted a job in the capture.</p></section>\n";
    return;
  }
  std::vector<size_t> order(cs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return count(at(cs[a], "jobs")) > count(at(cs[b], "jobs")); });
  out += "<p class=\"note\">By client ID (SET_CLIENT_ID), else by IP address; jobs by the client that submitted them, "
         "total time as that client saw it.</p>\n<div class=\"scroll\"><table class=\"grid sortable\"><thead><tr>"
         "<th>client</th><th class=\"n\">connections</th><th class=\"n\">submits</th><th class=\"n\">refused</th>"
         "<th class=\"n\">jobs</th><th>outcomes</th><th class=\"n\">complete</th><th class=\"n\">fail</th>"
         "<th class=\"n\">exception</th><th class=\"n\">incomplete</th><th class=\"n\">background</th>"
         "<th class=\"n\">total p50</th><th class=\"n\">total p99</th></tr></thead><tbody>\n";
  for (size_t n = 0; n < order.size() && n < kMaxClients; ++n) {
    const size_t i = order[n];
    const J& c = cs[i];
    const std::string p = jp("/clients", i);
    out += "<tr>" + name_td(at(c, "name").get<std::string>());
    for (const char* k : {"connections", "submits", "submit_errors", "jobs"}) out += num_td(p + "/" + k, at(c, k));
    out += "<td>";
    stacked_bar(out,
                {{"complete", "ok", count(at(c, "complete"))},
                 {"fail", "fail", count(at(c, "fail"))},
                 {"exception", "exc", count(at(c, "exception"))},
                 {"incomplete", "inc", count(at(c, "incomplete"))}},
                120, 10);
    out += "</td>";
    for (const char* k : {"complete", "fail", "exception", "incomplete", "background"}) out += num_td(p + "/" + k, at(c, k));
    for (const char* q : {"p50", "p99"}) out += num_td(p + "/total_ms/" + q, at(at(c, "total_ms"), q), true);
    out += "</tr>\n";
  }
  out += "</tbody></table></div>\n";
  if (cs.size() > kMaxClients)
    out += "<p class=\"note\">" + std::to_string(cs.size() - kMaxClients) +
           " clients with fewer jobs are left out here (all are in --format json).</p>\n";
  out += "</section>\n";
}

// ---------------------------------------------------------------------------------------------

void jobs(std::string& out, const HtmlInput& in, const J& r) {
  out += "<section id=\"jobs\"><h2>Slowest and stuck jobs</h2>\n<p class=\"note\">Frame numbers count from the "
         "start of the capture" +
         std::string(in.info->files.size() > 1 ? " across all its files (as <code>mergecap -a</code> joins them)" : "") +
         "; each filter shows the job's packets in tshark or Wireshark.</p>\n";
  const J& slow = at(r, "slowest");
  out += "<h3>Slowest jobs</h3>\n";
  if (slow.empty()) {
    out += "<p class=\"muted\">No job with a measured time.</p>\n";
  } else {
    out += "<div class=\"scroll\"><table class=\"grid jobs\"><thead><tr><th>handle</th><th>function</th>"
           "<th>outcome</th><th>worker</th><th>client</th><th class=\"n\">queue</th><th class=\"n\">run</th>"
           "<th class=\"n\">total</th></tr></thead><tbody>\n";
    for (size_t i = 0; i < slow.size(); ++i) {
      const J& j = slow[i];
      const std::string p = jp("/slowest", i);
      const std::string oc = at(j, "outcome").get<std::string>();
      std::vector<uint64_t> frames;
      const std::string fl = frame_list(at(j, "frames"), p + "/frames", frames);
      out += "<tr class=\"main\"><td><code>" + esc(at(j, "handle").get<std::string>()) + "</code></td>" +
             name_td(at(j, "function").get<std::string>()) + "<td class=\"o-" + esc(oc) + "\">" + esc(oc) +
             (at(j, "background").get<bool>() ? " (background)" : "") + "</td>" +
             name_td(at(j, "worker").get<std::string>()) + name_td(at(j, "client").get<std::string>()) +
             num_td(p + "/queue_ms", at(j, "queue_ms"), true) + num_td(p + "/run_ms", at(j, "run_ms"), true) +
             num_td(p + "/total_ms", at(j, "total_ms"), true) + "</tr>\n" + detail_row(in, fl, frames, 8);
    }
    out += "</tbody></table></div>\n";
  }

  const J& open = at(r, "open_at_end");
  const J& oldest = at(open, "oldest");
  out += "<h3>Open at the end of the capture</h3>\n<p>" +
         (in.open->at == kNoTime ? std::string("At the end")
                                 : "At <span" + src("/open_at_end/time", at(open, "time")) + ">" +
                                       esc(utc_text(in.open->at, true)) + "</span>") +
         ": " + num_span("/open_at_end/running", at(open, "running")) + " running, " +
         num_span("/open_at_end/queued", at(open, "queued")) + " queued (" +
         num_span("/open_at_end/never_assigned", at(open, "never_assigned")) + " never given to a worker)" +
         (oldest.empty() ? "." : ". The oldest first:") + "</p>\n";
  if (!oldest.empty()) {
    out += "<div class=\"scroll\"><table class=\"grid jobs\"><thead><tr><th>state</th><th>handle</th><th>function</th>"
           "<th class=\"n\">for</th><th>since</th><th>worker</th></tr></thead><tbody>\n";
    for (size_t i = 0; i < oldest.size(); ++i) {
      const J& o = oldest[i];
      const std::string p = jp("/open_at_end/oldest", i);
      const OpenJob* oj = i < in.open->oldest.size() ? &in.open->oldest[i] : nullptr;
      std::vector<uint64_t> frames;
      const std::string fl = frame_list(at(o, "frames"), p + "/frames", frames);
      out += "<tr class=\"main\"><td class=\"o-" + esc(at(o, "state").get<std::string>()) + "\">" +
             esc(at(o, "state").get<std::string>()) + "</td><td><code>" + esc(at(o, "handle").get<std::string>()) +
             "</code></td>" + name_td(at(o, "function").get<std::string>()) +
             num_td(p + "/age_ms", at(o, "age_ms"), true) + "<td>" +
             (oj && oj->since != kNoTime ? esc(utc_text(oj->since, true)) : std::string("–")) + "</td>" +
             name_td(at(o, "worker").get<std::string>()) + "</tr>\n" + detail_row(in, fl, frames, 6);
    }
    out += "</tbody></table></div>\n";
  }
  const J& ws = at(open, "workers");
  std::string held;
  size_t held_rows = 0, held_more = 0;
  for (size_t i = 0; i < ws.size(); ++i) {
    const J& w = ws[i];
    if (!count(at(w, "running"))) continue;
    if (held_rows++ >= kMaxHeldRows) {
      ++held_more;
      continue;
    }
    const std::string p = jp("/open_at_end/workers", i);
    const J& oo = at(w, "oldest_open");
    held += "<tr>" + name_td(at(w, "name").get<std::string>()) + num_td(p + "/running", at(w, "running")) +
            "<td>" + (oo.is_null() ? std::string("–") : esc(at(oo, "function").get<std::string>()) + " <code>" +
                                                            esc(at(oo, "handle").get<std::string>()) + "</code>") +
            "</td>" + (oo.is_null() ? std::string("<td></td>") : num_td(p + "/oldest_open/age_ms", at(oo, "age_ms"), true)) +
            "</tr>\n";
  }
  if (!held.empty())
    out += "<h3>Workers holding jobs at the end</h3>\n<table class=\"grid\"><thead><tr><th>worker</th><th class=\"n\">"
           "jobs held</th><th>oldest</th><th class=\"n\">held for</th></tr></thead><tbody>\n" +
           held + "</tbody></table>\n";
  if (held_more)
    out += "<p class=\"note\">" + std::to_string(held_more) +
           " more workers hold jobs (all are in --format json, open_at_end.workers).</p>\n";
  out += "</section>\n";
}

}  // namespace

// ---------------------------------------------------------------------------------------------

namespace html {

std::string show(const J& v, bool ms) {
  if (v.is_null()) return "–";
  if (v.is_string()) return esc(v.get<std::string>());
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (ms) return esc(ms_text(v.get<double>()));
  if (v.is_number_unsigned() || v.is_number_integer()) return count_text(v.get<uint64_t>());
  return esc(exact(v.get<double>()));
}

std::string src(const std::string& path, const J& v) {
  std::string val;
  if (v.is_null()) val = "null";
  else if (v.is_string()) val = esc(v.get<std::string>());
  else if (v.is_boolean()) val = v.get<bool>() ? "true" : "false";
  else if (v.is_number_unsigned()) val = std::to_string(v.get<uint64_t>());
  else if (v.is_number_integer()) val = std::to_string(v.get<int64_t>());
  else val = exact(v.get<double>());
  return " data-j=\"" + esc(path) + "\" data-v=\"" + val + "\"";
}

std::string num_td(const std::string& path, const J& v, bool ms) {
  return "<td class=\"n\"" + src(path, v) + ">" + show(v, ms) + "</td>";
}

std::string num_span(const std::string& path, const J& v, bool ms) {
  return "<span" + src(path, v) + ">" + show(v, ms) + "</span>";
}

}  // namespace html

std::string html_report(const HtmlInput& in) {
  J r = report_object(*in.analyzer, *in.info);
  if (in.live) r["live"] = *in.live;
  if (in.open) r["open_at_end"] = open_work_json(*in.open);
  std::string out;
  out.reserve(256 * 1024);
  head(out, in);
  header(out, in, r);
  summary(out, in, r);
  functions(out, in, r);
  timeline_sections(out, in, r);
  clients(out, r);
  jobs(out, in, r);
  out += "</main>\n<footer>Made by gearman-analyze " + esc(in.info->version) +
         ". Every number on this page is in <code>gearman-analyze --format json</code> for the same capture "
         "(hover shows more; each number's <code>data-j</code> attribute names its place in the JSON). Times are "
         "UTC.</footer>\n<div id=\"tip\" hidden></div>\n<script>" + script_text() + "</script>\n</body>\n</html>\n";
  return out;
}

bool write_html_report(FILE* f, const std::string& name, const HtmlInput& in, std::string& err) {
  const std::string page = html_report(in);
  errno = 0;
  const bool written = std::fwrite(page.data(), 1, page.size(), f) == page.size() && std::fflush(f) == 0 && !std::ferror(f);
  const int e = errno ? errno : EIO;
  const bool closed = std::fclose(f) == 0;
  if (written && closed) return true;
  err = "writing " + name + ": " + std::strerror(!written ? e : errno ? errno : EIO);
  return false;
}

}  // namespace gan
