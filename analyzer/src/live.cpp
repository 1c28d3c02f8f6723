// SPDX-License-Identifier: GPL-2.0-or-later
#include "live.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cmath>
#include <cstring>
#include <ctime>
#include <memory>

#include "intervals.h"
#include "live_capture.h"
#include "live_screen.h"
#include "stop_signal.h"

namespace gan {

namespace {

int64_t wall_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);  // the clock libpcap stamps packets with
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Packets are stamped when the kernel sees them and reach us a little later: the wall clock
// stands in for the capture's clock only this far behind, so a packet still on its way is not
// left behind an interval that was closed by the wall clock.
constexpr int64_t kWallGrace = 100'000'000;
constexpr int kPollMs = 100;

// Where intervals go as they become final.
class IntervalOutput {
 public:
  virtual ~IntervalOutput() = default;
  virtual void interval(const Interval& iv, const LiveStats& st, int64_t now) = 0;
  virtual void close() {}
};

class JsonLinesOutput final : public IntervalOutput {
 public:
  explicit JsonLinesOutput(FILE* out) : out_(out) {}
  void interval(const Interval& iv, const LiveStats&, int64_t) override {
    const std::string s = interval_json(iv).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::fprintf(out_, "%s\n", s.c_str());
    std::fflush(out_);
  }

 private:
  FILE* out_;
};

class CsvOutput final : public IntervalOutput {
 public:
  explicit CsvOutput(FILE* out) : out_(out) { write_interval_csv_header(out_); std::fflush(out_); }
  void interval(const Interval& iv, const LiveStats&, int64_t) override {
    write_interval_csv_rows(out_, iv);
    std::fflush(out_);
  }

 private:
  FILE* out_;
};

class LinesOutput final : public IntervalOutput {
 public:
  LinesOutput(FILE* out, int64_t interval_ns) : out_(out) { write_interval_text_header(out_, interval_ns); }
  void interval(const Interval& iv, const LiveStats&, int64_t) override {
    write_interval_text(out_, iv);
    std::fflush(out_);
  }

 private:
  FILE* out_;
};

class ScreenOutput final : public IntervalOutput {
 public:
  explicit ScreenOutput(std::unique_ptr<LiveScreen> s) : s_(std::move(s)) {}
  void interval(const Interval& iv, const LiveStats& st, int64_t now) override { s_->on_interval(iv, st, now); }
  void close() override { s_->close(); }
  LiveScreen& screen() { return *s_; }

 private:
  std::unique_ptr<LiveScreen> s_;
};

class NoOutput final : public IntervalOutput {
 public:
  void interval(const Interval&, const LiveStats&, int64_t) override {}
};

}  // namespace

LiveResult run_live(Analyzer& a, const LiveConfig& c) {
  LiveResult res;
  LiveCapture cap;
  std::string err;
  if (!cap.open(c.iface, c.filter, c.save, err)) {
    std::fprintf(stderr, "gearman-analyze: %s\n", err.c_str());
    res.exit_code = 1;
    return res;
  }
  install_stop_handlers(cap.handle());
  // As tcpdump's "listening on": the capture runs from here (scripts wait for this line).
  std::fprintf(stderr, "gearman-analyze: capturing on %s (%s)%s; Ctrl-C ends it and writes the report\n",
               c.iface.c_str(), cap.filter().empty() ? "every port" : cap.filter().c_str(),
               c.save.empty() ? "" : (", saving to " + c.save).c_str());

  // Without intervals (--interval 0) nothing is written until the end, but the screen is still
  // redrawn every second.
  const int64_t interval_ns = c.interval_ns > 0 ? c.interval_ns : 1'000'000'000;
  ScreenOutput* screen = nullptr;
  std::unique_ptr<IntervalOutput> out;
  if (c.screen) {
    LiveScreen::Header h{c.iface, cap.filter(), GEARMAN_ANALYZE_VERSION, interval_ns};
    auto s = std::make_unique<ScreenOutput>(std::make_unique<LiveScreen>(c.out, a, h, c.color, isatty(0)));
    screen = s.get();
    out = std::move(s);
  } else if (c.interval_ns <= 0 || c.quiet) {
    out = std::make_unique<NoOutput>();
  } else if (c.format == "json") {
    out = std::make_unique<JsonLinesOutput>(c.out);
  } else if (c.format == "csv") {
    out = std::make_unique<CsvOutput>(c.out);
  } else {
    out = std::make_unique<LinesOutput>(c.out, c.interval_ns);
  }

  int64_t now = wall_ns();
  IntervalStats iv(a, interval_ns, [&](Interval&& x) {
    if (c.on_interval) c.on_interval(x);
    out->interval(x, cap.stats(), now);
  });
  iv.keep_total_histograms(c.keep_histograms);
  a.set_observer(&iv);
  a.set_clock([&iv](int64_t t) { iv.on_time(t); });

  const int64_t started = now;
  const int64_t deadline = c.duration_s > 0 ? started + int64_t(std::llround(c.duration_s * 1e9)) : INT64_MAX;
  struct pollfd fds[2] = {{cap.fd(), POLLIN, 0}, {-1, POLLIN, 0}};
  const int key_fd = screen ? screen->screen().key_fd() : -1;
  fds[1].fd = key_fd;
  const nfds_t nfds = key_fd >= 0 ? 2 : 1;
  std::string stopped_by = "duration";
  for (;;) {
    if (stop_requested()) {
      stopped_by = stop_signal() == SIGTERM ? "SIGTERM" : stop_signal() == SIGINT ? "SIGINT" : "key";
      break;
    }
    now = wall_ns();
    if (now >= deadline) break;
    const int64_t left_ms = (deadline - now) / 1000000 + 1;
    const int rc = poll(fds, nfds, int(std::min<int64_t>(kPollMs, left_ms)));
    if (rc < 0 && errno != EINTR) {
      a.warn("capture_read_error", c.iface + ": poll: " + std::strerror(errno) + " (the report covers what was read before)");
      stopped_by = "error";
      break;
    }
    if (rc > 0 && fds[0].revents) {
      if (cap.dispatch(a, err) < 0) {
        a.warn("capture_read_error", c.iface + ": " + err + " (the report covers what was read before)");
        stopped_by = "end of capture";
        break;
      }
    }
    if (rc > 0 && nfds > 1 && (fds[1].revents & POLLIN) && screen->screen().on_key()) request_stop();
    // No packet for a while: the wall clock moves the intervals on.
    now = wall_ns();
    iv.on_time(now - kWallGrace);
  }

  const int64_t end = wall_ns();
  const LiveStats st = cap.stats();
  if (st.dropped)
    a.warn_count("capture_dropped", st.dropped,
                 "packets the kernel dropped because the capture buffer was full (the analyzer did not keep "
                 "up): jobs may be incomplete or missing");
  if (st.if_dropped)
    a.warn_count("interface_dropped", st.if_dropped,
                 "packets the interface or its driver dropped (pcap_stats ps_ifdrop): jobs may be incomplete or "
                 "missing");
  iv.end_of_capture(end);
  res.open = collect_open_work(a, end, c.top, true);
  a.finish();
  now = end;
  iv.flush();
  a.set_observer(nullptr);
  a.set_clock({});
  out->close();
  if (!cap.close(err)) {
    std::fprintf(stderr, "gearman-analyze: %s\n", err.c_str());
    res.exit_code = 2;
    return res;
  }
  res.live = {{"interface", c.iface},
              {"filter", cap.filter()},
              {"started", format_time(started)},
              {"stopped", format_time(end)},
              {"stopped_by", stopped_by},
              {"interval_s", double(c.interval_ns) / 1e9},
              {"received", st.received},
              {"dropped", st.dropped},
              {"if_dropped", st.if_dropped},
              {"delivered", st.delivered},
              {"saved_to", c.save}};
  char b[512];
  std::snprintf(b, sizeof b, "live capture on %s (%s): %.3f s, stopped by %s; %" PRIu64 " packets received, %" PRIu64
                " dropped by the kernel, %" PRIu64 " by the interface%s%s",
                c.iface.c_str(), cap.filter().empty() ? "every port" : cap.filter().c_str(), double(end - started) / 1e9,
                stopped_by.c_str(), st.received, st.dropped, st.if_dropped, c.save.empty() ? "" : "; saved to ",
                c.save.c_str());
  res.live_text = b;
  return res;
}

}  // namespace gan
