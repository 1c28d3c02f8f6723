// SPDX-License-Identifier: GPL-2.0-or-later
// The HTML report's pieces: escaping of strings from the wire, number and axis formats, and its
// time axis (TimeSeries with IntervalStats::widen) giving what --interval WIDTH gives. The page
// as a whole is tested in a browser (tests/html/html_test.py).
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "analyzer.h"
#include "gearproto/encoder.h"
#include "html_series.h"
#include "intervals.h"
#include "open_work.h"
#include "pcap_streams.h"
#include "sha256.h"
#include "svg.h"
#include "synth.h"

using namespace gearproto;
using gan::html::esc;

namespace {

constexpr int64_t kMs = 1000000;
constexpr int64_t kS = 1000 * kMs;
constexpr int64_t kBase = 1700000000 * kS;

// Feeds a script to an analyzer with intervals of `interval`; with `series`, the intervals go
// into it (and it widens them as IntervalStats' own), else they are kept as they are.
struct Fed {
  gan::Analyzer a;
  std::vector<gan::Interval> ivs;
  std::unique_ptr<gan::IntervalStats> st;
  Fed(const synth::Script& s, int64_t interval, gan::TimeSeries* series = nullptr) {
    st = std::make_unique<gan::IntervalStats>(a, interval, [this, series](gan::Interval&& i) {
      if (series) series->add(i);
      else ivs.push_back(std::move(i));
    });
    if (series) {
      st->keep_total_histograms(true);
      series->on_widen([this](int64_t w) { st->widen(w); });
    }
    a.set_observer(st.get());
    a.set_clock([this](int64_t t) { st->on_time(t); });
    synth::feed_segments(a, s.segs, kBase);
    st->end_of_capture();
    a.finish();
    st->flush();
    if (series) series->finish();
  }
};

// Six seconds: jobs of two functions, one failing, a worker that dies holding a job (lost) and
// reconnects, a job queued at the end.
synth::Script busy_script() {
  synth::Script s;
  int w1 = s.connect("10.0.0.3", 40001);
  int w2 = s.connect("10.0.0.4", 40002);
  int cl = s.connect("10.0.0.2", 40000);
  s.send(w1, true, make_request(CAN_DO, {"f"}), kBase + 50 * kMs);
  s.send(w2, true, make_request(CAN_DO, {"g"}), kBase + 60 * kMs);
  int n = 0;
  for (int64_t t = 100 * kMs; t < 5000 * kMs; t += 230 * kMs) {
    const std::string h = "H:x:" + std::to_string(++n), fn = n % 3 ? "f" : "g";
    const int w = fn == "f" ? w1 : w2;
    s.send(cl, true, make_request(SUBMIT_JOB, {fn, "u" + std::to_string(n), "p"}), kBase + t);
    s.send(cl, false, make_response(JOB_CREATED, {h}), kBase + t + 1 * kMs);
    s.send(w, false, make_response(JOB_ASSIGN, {h, fn, "p"}), kBase + t + 3 * kMs + n * kMs);
    if (n == 6) {  // w2 dies with its job (a "g" one); the job waits until w2 is back
      s.close(w2, kBase + t + 60 * kMs, true);
      w2 = s.connect("10.0.0.4", 40003);
      s.send(w2, true, make_request(CAN_DO, {"g"}), kBase + t + 500 * kMs);
      s.send(w2, false, make_response(JOB_ASSIGN, {h, fn, "p"}), kBase + t + 520 * kMs);
      s.send(w2, true, make_request(WORK_COMPLETE, {h, "r"}), kBase + t + 600 * kMs);
      s.send(cl, false, make_response(WORK_COMPLETE, {h, "r"}), kBase + t + 601 * kMs);
      continue;
    }
    const int64_t end = kBase + t + 40 * kMs + n * 7 * kMs;
    if (n % 5 == 0) {
      s.send(w, true, make_request(WORK_FAIL, {h}), end);
      s.send(cl, false, make_response(WORK_FAIL, {h}), end + kMs);
    } else {
      s.send(w, true, make_request(WORK_COMPLETE, {h, "r"}), end);
      s.send(cl, false, make_response(WORK_COMPLETE, {h, "r"}), end + kMs);
    }
  }
  s.send(cl, true, make_request(SUBMIT_JOB, {"h", "late", "p"}), kBase + 5100 * kMs);
  s.send(cl, false, make_response(JOB_CREATED, {"H:x:99"}), kBase + 5101 * kMs);
  s.send(w1, true, make_request(PRE_SLEEP, {}), kBase + 6300 * kMs);
  return s;
}

}  // namespace

TEST(HtmlEscape, MarkupQuotesAndControlsFromTheWireAreText) {
  EXPECT_EQ(esc("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;");
  EXPECT_EQ(esc(std::string("a\nb\tc\x01\x7f\0", 8)), "a\\nb\\tc\\x01\\x7f\\x00");
  EXPECT_EQ(esc("caf\xc3\xa9 \xe2\x9c\x93"), "caf\xc3\xa9 \xe2\x9c\x93");  // valid UTF-8 stays
  EXPECT_EQ(esc("\xff\xfe"), "\xef\xbf\xbd\xef\xbf\xbd");                 // invalid: U+FFFD each
  EXPECT_EQ(esc("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");                 // overlong '/'
  EXPECT_EQ(esc("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // a surrogate
  EXPECT_EQ(esc("x\xe2\x80\xaey"), "x\\u202ey");                          // a bidi override
  EXPECT_EQ(esc("\xe2\x80"), "\xef\xbf\xbd\xef\xbf\xbd");                 // cut off
}

// The CSP hashes of the page's script and style (FIPS 180-4 test vectors; one and two blocks).
TEST(HtmlCsp, Sha256AndBase64) {
  auto hex = [](const std::array<uint8_t, 32>& d) {
    std::string o;
    char b[3];
    for (uint8_t c : d) { std::snprintf(b, sizeof b, "%02x", c); o += b; }
    return o;
  };
  EXPECT_EQ(hex(gan::sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex(gan::sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(gan::sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex(gan::sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  EXPECT_EQ(gan::csp_hash("abc"), "'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='");
  const uint8_t two[] = {'a', 'b'};
  EXPECT_EQ(gan::base64(two, 2), "YWI=");
  EXPECT_EQ(gan::base64(two, 1), "YQ==");
}

TEST(HtmlFormat, NumbersDurationsAndAxes) {
  using namespace gan::html;
  EXPECT_EQ(ms_text(0.000850), "850 ns");
  EXPECT_EQ(ms_text(0.222), "222 \xc2\xb5s");
  EXPECT_EQ(ms_text(12.34), "12.3 ms");
  EXPECT_EQ(ms_text(999.9), "1.00 s");  // not "1000 ms"
  EXPECT_EQ(ms_text(1501.74), "1.50 s");
  EXPECT_EQ(ms_text(250000), "4.17 min");
  EXPECT_EQ(count_text(1234567), "1,234,567");
  EXPECT_EQ(percent_text(0.04), "<0.1%");
  EXPECT_EQ(percent_text(33.333), "33.3%");
  EXPECT_EQ(exact(0.1), "0.1");
  EXPECT_EQ(exact(1501.740123), "1501.740123");
  const LinearAxis a = nice_linear(0, 437, 4);
  EXPECT_EQ(a.ticks, (std::vector<double>{0, 200, 400, 600}));
  const LogAxis l = nice_log(3.2e4, 2.1e9);
  EXPECT_EQ(l.decades.front(), 1e4);
  EXPECT_EQ(l.decades.back(), 1e10);
  EXPECT_EQ(decade_label(1e6), "1 ms");
  // A 5-minute axis: whole minutes; a 3-second one: seconds; across midnight: the date.
  auto t = time_ticks(kBase, kBase + 300 * kS, 7);
  ASSERT_FALSE(t.empty());
  EXPECT_EQ(t.front().label, "22:14");
  t = time_ticks(kBase + 100 * kMs, kBase + 3 * kS, 7);
  EXPECT_EQ(t.front().label, "22:13:20.5");
  const int64_t midnight = (kBase / (86400 * kS) + 1) * 86400 * kS;
  t = time_ticks(midnight - 2 * 3600 * kS, midnight + 2 * 3600 * kS, 7);
  bool dated = false;
  for (const auto& k : t) dated |= k.label.find("11-15") != std::string::npos;
  EXPECT_TRUE(dated);
}

TEST(HtmlSeries, NiceWidthsNest) {
  int64_t w = kS / 10;
  for (int i = 0; i < 20; ++i) {
    const int64_t n = gan::TimeSeries::next_width(w);
    EXPECT_GT(n, w);
    EXPECT_EQ(n % w, 0) << w << " -> " << n;
    w = n;
  }
  EXPECT_EQ(gan::TimeSeries::next_width(kS), 2 * kS);
  EXPECT_EQ(gan::TimeSeries::next_width(2 * kS), 10 * kS);
  EXPECT_EQ(gan::TimeSeries::next_width(3 * kS / 10), 6 * kS / 10);  // a width off the ladder doubles
}

// IntervalStats at 0.1 s, widened by TimeSeries as the bins fill up, gives the same bins as
// intervals of the final width from the start: counts, open jobs and connections at each end,
// busy time, jobs lost, and total-time percentiles from the merged histograms.
TEST(HtmlSeries, WidenedIntervalsEqualIntervalsOfTheFinalWidth) {
  const synth::Script s = busy_script();
  gan::TimeSeries series(kS / 10, 5);
  Fed auto_run(s, kS / 10, &series);
  ASSERT_EQ(series.width(), 2 * kS);  // 0.1 -> 0.2 -> 1 -> 2 s: 4 bins cover 6.3 s
  Fed direct(s, series.width());
  const auto& bins = series.bins();
  ASSERT_EQ(bins.size(), direct.ivs.size());
  uint64_t lost = 0;
  for (size_t i = 0; i < bins.size(); ++i) {
    SCOPED_TRACE("bin " + std::to_string(i));
    const gan::Interval& iv = direct.ivs[i];
    EXPECT_EQ(bins[i].start, iv.start);
    EXPECT_EQ(bins[i].end, iv.end);
    size_t listed = 0;
    for (const gan::IntervalFunction& f : iv.functions) {
      SCOPED_TRACE(f.name);
      const auto& names = series.function_names();
      const auto it = std::find(names.begin(), names.end(), f.name);
      ASSERT_NE(it, names.end());
      const gan::SeriesFunction* b = bins[i].function(uint32_t(it - names.begin()));
      ASSERT_TRUE(b);
      ++listed;
      EXPECT_EQ(b->submitted, f.submitted);
      EXPECT_EQ(b->complete, f.complete);
      EXPECT_EQ(b->fail, f.fail);
      EXPECT_EQ(b->incomplete, f.incomplete);
      EXPECT_EQ(b->in_flight, f.in_flight);
      EXPECT_EQ(b->queued, f.queued);
      EXPECT_EQ(b->total_summary.count, f.total.count);
      EXPECT_EQ(b->total_summary.p50, f.total.p50);
      EXPECT_EQ(b->total_summary.p99, f.total.p99);
      EXPECT_EQ(b->total_summary.max, f.total.max);
    }
    EXPECT_EQ(bins[i].functions.size(), listed);
    ASSERT_EQ(bins[i].workers.size(), iv.workers.size());
    for (const gan::IntervalWorker& w : iv.workers) {
      SCOPED_TRACE(w.name);
      const auto& names = series.worker_names();
      const auto it = std::find(names.begin(), names.end(), w.name);
      ASSERT_NE(it, names.end());
      const gan::SeriesWorker* b = bins[i].worker(uint32_t(it - names.begin()));
      ASSERT_TRUE(b);
      EXPECT_EQ(b->busy_ns, w.busy_ns);
      EXPECT_EQ(b->lost, w.lost);
      EXPECT_EQ(b->connections, w.connections);
      lost += w.lost;
    }
  }
  EXPECT_EQ(lost, 1u);
}

// A worker connection that closes holding a job loses it in the interval of the close; its
// connections at each interval's end are counted.
TEST(HtmlSeries, LostJobsAndConnectionsPerInterval) {
  const synth::Script s = busy_script();
  Fed r(s, kS);
  uint64_t lost = 0;
  for (const auto& iv : r.ivs)
    for (const auto& w : iv.workers) {
      if (w.lost) {
        EXPECT_EQ(iv.start, kBase + 1 * kS) << w.name;  // job 6 was lost at 1.31 s
      }
      lost += w.lost;
    }
  EXPECT_EQ(lost, 1u);
  uint64_t report_lost = 0;
  for (const auto& w : r.a.workers()) if (w.merged_into < 0) report_lost += w.lost;
  EXPECT_EQ(report_lost, lost);
  // At the end of [1, 2) the dead worker's connection is closed and its new one is open.
  int64_t conns = 0;
  for (const auto& w : r.ivs[1].workers) if (w.name.rfind("10.0.0.4", 0) == 0) conns += w.connections;
  EXPECT_EQ(conns, 1);
}

// The bins of a clock jump with no interval in them carry the end state of the bin before
// (nothing happened), as IntervalStats' own intervals of that width would.
TEST(HtmlSeries, BinsWithoutIntervalsKeepTheStateBefore) {
  gan::TimeSeries series(kS, 100);
  auto interval = [](int64_t start, uint64_t queued) {
    gan::Interval iv;
    iv.start = start;
    iv.end = start + kS;
    gan::IntervalFunction f;
    f.name = "f";
    f.in_flight = f.queued = queued;
    iv.functions.push_back(f);
    gan::IntervalWorker w;
    w.name = "w";
    w.connections = 1;
    iv.workers.push_back(w);
    return iv;
  };
  gan::Interval a = interval(kBase, 3), b = interval(kBase + 5 * kS, 1);
  series.add(a);
  series.add(b);
  series.finish();
  ASSERT_EQ(series.bins().size(), 6u);
  for (size_t i = 0; i < 5; ++i) {
    ASSERT_EQ(series.bins()[i].functions.size(), 1u) << i;
    EXPECT_EQ(series.bins()[i].functions[0].second.queued, 3u) << i;
    ASSERT_EQ(series.bins()[i].workers.size(), 1u) << i;
  }
  EXPECT_EQ(series.bins()[5].functions[0].second.queued, 1u);
}

// --html on the command line: the page is written with -q too and changes nothing else; a path
// that cannot be written fails before the capture is read; a failed write is exit 2 with the
// message; an input that cannot be read leaves no page behind.
namespace {
struct CliRun {
  int rc;
  std::string out, err;
};
CliRun analyze(const std::string& args) {
  const std::string err = "/tmp/gearman-analyze-html-" + std::to_string(getpid()) + ".err";
  FILE* p = popen((std::string(GEARMAN_ANALYZE_BIN) + " " + args + " 2>" + err).c_str(), "r");
  CliRun r{-1, "", ""};
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int st = pclose(p);
  r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream in(err);
  std::stringstream ss;
  ss << in.rdbuf();
  r.err = ss.str();
  std::remove(err.c_str());
  return r;
}
std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
bool exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}
}  // namespace

TEST(HtmlCli, PageWrittenWithQuietAndReportUnchanged) {
  const std::string cap = testsupport::capture_path("libgearman-full.pcap");
  const std::string page = "/tmp/gearman-analyze-html-" + std::to_string(getpid()) + ".html";
  CliRun q = analyze("-q --html " + page + " " + cap);
  EXPECT_EQ(q.rc, 0) << q.err;
  EXPECT_EQ(q.out, "");
  const std::string html = read_all(page);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("Content-Security-Policy\" content=\"default-src 'none';"), std::string::npos);
  EXPECT_NE(html.find("</html>\n"), std::string::npos);
  // The JSON report is the same with and without the page.
  CliRun with = analyze("--format json --html " + page + " " + cap);
  CliRun without = analyze("--format json " + cap);
  EXPECT_EQ(with.rc, 0);
  EXPECT_EQ(with.out, without.out);
  std::remove(page.c_str());
}

TEST(HtmlCli, WriteErrorsAndUnreadableInput) {
  const std::string cap = testsupport::capture_path("libgearman-full.pcap");
  CliRun r = analyze("--html /nonexistent-dir/page.html " + cap);
  EXPECT_EQ(r.rc, 2);
  EXPECT_EQ(r.out, "");  // refused before the capture is read: no report either
  EXPECT_NE(r.err.find("gearman-analyze: cannot write /nonexistent-dir/page.html: No such file"), std::string::npos)
      << r.err;
  r = analyze("-q --html /dev/full " + cap);
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.err.find("gearman-analyze: writing /dev/full: No space left on device"), std::string::npos) << r.err;
  // A capture cut off inside its header is not a capture: exit 1, and no page is left behind.
  const std::string bad = "/tmp/gearman-analyze-html-" + std::to_string(getpid()) + ".pcap";
  const std::string page = bad + ".html";
  std::ofstream(bad, std::ios::binary) << std::string("\xd4\xc3\xb2\xa1\x02\x00", 6);
  r = analyze("--html " + page + " " + bad);
  EXPECT_EQ(r.rc, 1);
  EXPECT_FALSE(exists(page));
  std::remove(bad.c_str());
}
