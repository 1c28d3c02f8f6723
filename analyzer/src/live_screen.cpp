// SPDX-License-Identifier: GPL-2.0-or-later
#include "live_screen.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <vector>

#include "interval_report.h"
#include "open_work.h"

namespace gan {

namespace {
// Sort columns, in the order 's' steps through them.
enum Sort { kTotalP99, kJobsPerSecond, kFailPercent, kInFlight, kQueued, kQueueP99, kRunP99, kName, kSorts };
const char* const kSortNames[kSorts] = {"p99 total", "jobs/s", "fail %", "in flight", "queued", "p99 queue",
                                        "p99 run", "name"};
// A job is stuck when it has been in its phase this many times its function's p99 for that phase
// (whole capture so far), and at least kStuckMin; a job whose function has no such p99 yet (never
// assigned, never finished) is stuck after kStuckMin.
constexpr double kStuckFactor = 3.0;
constexpr int64_t kStuckMin = 1'000'000'000;

enum Style { kPlain, kTitle, kHeading, kAlert };
struct Line {
  std::string text;
  Style style = kPlain;
};

std::string fmt_ms(const LatencySummary& s, double v) {
  if (s.count == 0) return "-";
  char b[32];
  std::snprintf(b, sizeof b, v < 10 ? "%.2f" : v < 1000 ? "%.1f" : "%.0f", v);
  return b;
}
}  // namespace

LiveScreen::LiveScreen(FILE* out, const Analyzer& a, Header h, bool color, bool keys)
    : out_(out), a_(a), h_(std::move(h)), color_(color), keys_(keys) {
  if (keys_ && tcgetattr(0, &saved_) == 0) {
    struct termios t = saved_;
    t.c_lflag &= ~tcflag_t(ICANON | ECHO);  // ISIG stays: Ctrl-C is still SIGINT
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    tcsetattr(0, TCSANOW, &t);
  } else {
    keys_ = false;
  }
  std::fputs("\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J", out_);  // alternate screen, no cursor
  std::fflush(out_);
  open_ = true;
}

LiveScreen::~LiveScreen() { close(); }

void LiveScreen::close() {
  if (!open_) return;
  open_ = false;
  std::fputs("\x1b[?25h\x1b[?1049l", out_);
  std::fflush(out_);
  if (keys_) tcsetattr(0, TCSANOW, &saved_);
}

std::string LiveScreen::sort_name() const { return kSortNames[sort_]; }

bool LiveScreen::on_key() {
  char c;
  bool redraw = false;
  while (::read(0, &c, 1) == 1) {
    if (c == 'q' || c == 'Q') return true;
    if (c == 's' || c == '>' || c == '\t') { sort_ = (sort_ + 1) % kSorts; redraw = true; }
    if (c == 'S' || c == '<') { sort_ = (sort_ + kSorts - 1) % kSorts; redraw = true; }
  }
  if (redraw) draw();
  return false;
}

void LiveScreen::on_interval(const Interval& iv, const LiveStats& st, int64_t now) {
  last_ = iv;
  have_last_ = true;
  stats_ = st;
  now_ = now;
  draw();
}

void LiveScreen::draw() {
  int width = 80, height = 24;
  struct winsize size;
  if (ioctl(fileno(out_), TIOCGWINSZ, &size) == 0 && size.ws_col > 0 && size.ws_row > 0) {
    width = size.ws_col;
    height = size.ws_row;
  }
  std::vector<Line> lines;
  char b[512];
  const double secs = double(h_.interval_ns) / 1e9;
  std::snprintf(b, sizeof b, "gearman-analyze %s - live on %s (%s) - %s UTC", h_.version.c_str(), h_.iface.c_str(),
                h_.filter.empty() ? "every port" : h_.filter.c_str(), clock_time(now_, false).c_str());
  lines.push_back({b, kTitle});
  std::snprintf(b, sizeof b, "interval %s-%s (%g s; shown once its jobs are final)  packets %" PRIu64
                ", dropped %" PRIu64 "%s",
                have_last_ ? clock_time(last_.start, false).c_str() : "-",
                have_last_ ? clock_time(last_.end, false).c_str() : "-", secs, stats_.delivered,
                stats_.dropped + stats_.if_dropped, stats_.dropped + stats_.if_dropped ? " (jobs may be incomplete)" : "");
  lines.push_back({b, stats_.dropped + stats_.if_dropped ? kAlert : kPlain});

  uint64_t finished = 0, failed = 0, in_flight = 0, queued = 0;
  for (const IntervalFunction& f : last_.functions) {
    finished += f.finished();
    failed += f.fail + f.exception;
    in_flight += f.in_flight;
    queued += f.queued;
  }
  size_t busy = 0, idle = 0;
  for (const IntervalWorker& w : last_.workers) (w.busy_ns > 0 ? busy : idle)++;
  std::snprintf(b, sizeof b, "jobs/s %.1f   fail %.1f%%   in flight %" PRIu64 "   queued %" PRIu64
                "   workers %zu busy, %zu idle",
                double(finished) / secs, finished ? 100.0 * double(failed) / double(finished) : 0.0, in_flight, queued,
                busy, idle);
  lines.push_back({b, failed ? kAlert : kPlain});
  lines.push_back({"", kPlain});

  // Functions, sorted: those of the interval, and every other one seen so far (idle, as top
  // lists sleeping processes) so rows do not come and go.
  std::vector<IntervalFunction> idle_fns;
  for (const FunctionStats& f : a_.functions()) {
    if (f.jobs == 0 && f.submits == 0) continue;
    bool listed = false;
    for (const IntervalFunction& g : last_.functions) listed = listed || g.name == f.name;
    if (listed) continue;
    IntervalFunction e;
    e.name = f.name;
    idle_fns.push_back(std::move(e));
  }
  std::vector<const IntervalFunction*> fns;
  for (const IntervalFunction& f : last_.functions) fns.push_back(&f);
  for (const IntervalFunction& f : idle_fns) fns.push_back(&f);
  auto key = [&](const IntervalFunction* f) -> double {
    switch (sort_) {
      case kTotalP99: return f->total.count ? f->total.p99 : -1;
      case kJobsPerSecond: return double(f->finished());
      case kFailPercent: return f->fail_percent();
      case kInFlight: return double(f->in_flight);
      case kQueued: return double(f->queued);
      case kQueueP99: return f->queue.count ? f->queue.p99 : -1;
      case kRunP99: return f->run.count ? f->run.p99 : -1;
      default: return 0;
    }
  };
  std::stable_sort(fns.begin(), fns.end(), [&](const IntervalFunction* x, const IntervalFunction* y) {
    if (sort_ == kName) return x->name < y->name;
    const double kx = key(x), ky = key(y);
    return kx != ky ? kx > ky : x->name < y->name;
  });
  auto head = [&](int col, const char* name) {
    return std::string(name) + (sort_ == col ? "*" : "");
  };
  std::snprintf(b, sizeof b, "%-24s %8s %7s %9s %7s %9s %9s %9s %9s %9s %9s", head(kName, "FUNCTION").c_str(),
                head(kJobsPerSecond, "JOBS/S").c_str(), head(kFailPercent, "FAIL%").c_str(),
                head(kInFlight, "IN FLIGHT").c_str(), head(kQueued, "QUEUED").c_str(), "QUEUE p50",
                head(kQueueP99, "QUEUE p99").c_str(), "RUN p50", head(kRunP99, "RUN p99").c_str(), "TOTAL p50",
                head(kTotalP99, "TOTAL p99").c_str());
  lines.push_back({b, kHeading});
  // Room: the stuck list and the workers need a few lines at the bottom.
  const int reserved = 9;
  const size_t max_fn_rows = size_t(std::max(1, height - int(lines.size()) - reserved));
  size_t shown = 0;
  for (const IntervalFunction* f : fns) {
    if (shown == max_fn_rows - (fns.size() > max_fn_rows ? 1 : 0)) break;
    char fail[16];
    if (f->complete + f->fail + f->exception) std::snprintf(fail, sizeof fail, "%.1f", f->fail_percent());
    else std::snprintf(fail, sizeof fail, "-");
    std::snprintf(b, sizeof b, "%-24.24s %8.1f %7s %9" PRIu64 " %7" PRIu64 " %9s %9s %9s %9s %9s %9s", f->name.c_str(),
                  double(f->finished()) / secs, fail, f->in_flight, f->queued, fmt_ms(f->queue, f->queue.p50).c_str(),
                  fmt_ms(f->queue, f->queue.p99).c_str(), fmt_ms(f->run, f->run.p50).c_str(),
                  fmt_ms(f->run, f->run.p99).c_str(), fmt_ms(f->total, f->total.p50).c_str(),
                  fmt_ms(f->total, f->total.p99).c_str());
    lines.push_back({b, f->fail + f->exception ? kAlert : kPlain});
    ++shown;
  }
  if (shown < fns.size()) {
    std::snprintf(b, sizeof b, "... %zu more functions", fns.size() - shown);
    lines.push_back({b, kPlain});
  }
  if (fns.empty()) lines.push_back({"(no jobs in this interval)", kPlain});
  lines.push_back({"", kPlain});

  // Workers: busy first (most busy), then idle.
  std::vector<const IntervalWorker*> ws;
  for (const IntervalWorker& w : last_.workers) ws.push_back(&w);
  std::stable_sort(ws.begin(), ws.end(), [](auto* x, auto* y) { return x->busy > y->busy; });
  // Wrapped to the width, at most three lines.
  std::vector<std::string> words{"WORKERS busy:"};
  for (const IntervalWorker* w : ws) {
    if (w->busy_ns <= 0) continue;
    words.push_back(w->name + " " + busy_text(w->busy));
  }
  if (busy == 0) words.push_back("none");
  if (idle) {
    words.push_back("  idle:");
    for (const IntervalWorker* w : ws)
      if (w->busy_ns <= 0) words.push_back(w->name);
  }
  std::string wl;
  size_t wrapped = 0;
  for (const std::string& w : words) {
    if (!wl.empty() && wl.size() + 1 + w.size() > size_t(width)) {
      if (++wrapped == 3) { wl += " ..."; break; }
      lines.push_back({wl, kPlain});
      wl = "   ";
    }
    wl += (wl.empty() || wl == "   " ? "" : " ") + w;
  }
  lines.push_back({wl, kPlain});
  lines.push_back({"", kPlain});

  // Stuck jobs, now.
  const auto& fs = a_.functions();
  OpenJobFilter stuck = [&fs](const gearjobs::Job& j, bool running, int64_t age) {
    if (age < kStuckMin) return false;
    if (j.function >= fs.size()) return true;
    const LogHistogram& h = running ? fs[j.function].run : fs[j.function].queue;
    if (h.count() == 0) return true;
    return double(age) > kStuckFactor * h.percentile(0.99);
  };
  const int room = std::max(1, height - int(lines.size()) - 3);
  OpenWork ow = collect_open_work(a_, now_, size_t(room), false, stuck);
  std::snprintf(b, sizeof b, "STUCK: running or queued over %gx their function's p99 and %g s, or never assigned "
                "(%" PRIu64 " running, %" PRIu64 " queued now)",
                kStuckFactor, double(kStuckMin) / 1e9, ow.running, ow.queued);
  lines.push_back({b, kHeading});
  if (ow.oldest.empty()) lines.push_back({"  none", kPlain});
  for (const OpenJob& o : ow.oldest) {
    std::snprintf(b, sizeof b, "  %-8s %-24.24s %-28.28s %10s  %s", o.running ? "running" : "queued",
                  o.function.c_str(), o.handle.c_str(), age_text(o.age_ns).c_str(),
                  o.running ? ("on " + o.worker).c_str() : "waiting for a worker");
    lines.push_back({b, kAlert});
  }

  // Out: from the top, each line cut to the width and its rest cleared; the footer on the last row.
  std::string s = "\x1b[H";
  const int body = height - 1;
  for (int i = 0; i < body && i < int(lines.size()); ++i) {
    const Line& l = lines[size_t(i)];
    std::string t = l.text.size() > size_t(width) ? l.text.substr(0, size_t(width)) : l.text;
    if (color_ && l.style != kPlain) {
      const char* sgr = l.style == kTitle ? "\x1b[1m" : l.style == kHeading ? "\x1b[7m" : "\x1b[31m";
      s += sgr + t + "\x1b[0m";
    } else {
      s += t;
    }
    s += "\x1b[K\r\n";
  }
  s += "\x1b[J";
  std::snprintf(b, sizeof b, "\x1b[%d;1Hsort: %s  |  s: next sort column  S: previous  q: quit (the report follows)",
                height, kSortNames[sort_]);
  std::string foot = b;
  s += foot.substr(0, std::min(foot.size(), size_t(width) + foot.find("sort:"))) + "\x1b[K";
  std::fwrite(s.data(), 1, s.size(), out_);
  std::fflush(out_);
}

}  // namespace gan
