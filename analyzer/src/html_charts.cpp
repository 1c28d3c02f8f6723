// SPDX-License-Identifier: GPL-2.0-or-later
#include "html_charts.h"

#include <algorithm>
#include <cmath>

#include "svg.h"

namespace gan::html {

namespace {

std::string values_attr(const std::vector<double>& v) {
  std::string o;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) o += ' ';
    o += std::isnan(v[i]) ? std::string("-") : exact(v[i]);
  }
  return o;
}

// Bottom axis of a time chart: ticks and UTC labels that fit (about 110 units per label), and
// the unit, "UTC", at its right end; a tick label that would run into it is left out.
void time_axis(Svg& s, const Scale& x, int64_t t0, int64_t t1, double y, double plot_w) {
  s.line(x.r0, y, x.r1, y, "axis");
  constexpr double kUnitW = 26;  // "UTC" at 11 px
  for (const TimeTick& t : time_ticks(t0, t1, std::max(1, int(plot_w / 110)))) {
    const double xv = x(double(t.t - t0));
    s.line(xv, y, xv, y + 4, "axis");
    if (xv + 3.3 * double(t.label.size()) < x.r1 - kUnitW) s.text(xv, y + 15, t.label, "middle", "tick");
  }
  s.text(x.r1, y + 15, "UTC", "end", "unit");
}

}  // namespace

void legend(std::string& out, const std::vector<std::pair<std::string, std::string>>& keys, bool lines) {
  out += "<div class=\"legend\">";
  for (const auto& k : keys)
    out += std::string("<span class=\"lg\"><span class=\"") + (lines ? "kl " : "kb ") + k.second + "\"></span>" +
           esc(k.first) + "</span>";
  out += "</div>\n";
}

// ---------------------------------------------------------------------------------------------
// Distributions

void distribution_chart(std::string& out, const std::string& label, const std::vector<Distribution>& rows) {
  constexpr int kW = 900, kLeft = 74, kPlotR = 600, kRowH = 56, kTop = 6;
  double lo = 0, hi = 0;
  for (const Distribution& r : rows) {
    if (!r.h || r.h->count() == 0) continue;
    const double mn = std::max<double>(1, double(r.h->min())), mx = std::max<double>(1, double(r.h->max()));
    lo = lo == 0 ? mn : std::min(lo, mn);
    hi = std::max(hi, mx);
  }
  const LogAxis ax = nice_log(lo > 0 ? lo : 1e3, hi > 0 ? hi : 1e6);
  const int h = kTop + int(rows.size()) * kRowH + 26;
  Svg s(out, kW, h, "chart dist", label);
  const Scale x{ax.lo, ax.hi, double(kLeft), double(kPlotR), true};
  // Bins: 10 per decade, equal widths on the log axis, so the height is the density.
  std::vector<double> edges;
  for (double d = ax.lo; d < ax.hi * 0.999; d *= 10)
    for (int j = 0; j < 10; ++j) edges.push_back(d * std::pow(10, j / 10.0));
  edges.push_back(ax.hi);
  for (double d : ax.decades) s.line(x(d), kTop, x(d), kTop + rows.size() * kRowH, "grid");
  for (size_t ri = 0; ri < rows.size(); ++ri) {
    const Distribution& r = rows[ri];
    const double top = kTop + double(ri) * kRowH, base = top + kRowH - 6, plot_top = top + 16;
    const uint64_t n = r.h ? r.h->count() : 0;
    s.text(4, top + 26, r.name, "start", "rowname");
    s.text(4, top + 40, "n = " + count_text(n), "start", "tick");
    s.line(kLeft, base, kPlotR, base, "axis");
    if (n == 0) {
      s.text((kLeft + kPlotR) / 2.0, top + 34, "not measured", "middle", "muted");
      continue;
    }
    std::vector<uint64_t> c(edges.size() - 1);
    uint64_t prev = 0;
    for (size_t i = 1; i < edges.size(); ++i) {
      const uint64_t below = i + 1 == edges.size() ? n : r.h->count_below(uint64_t(edges[i]));
      c[i - 1] = below - prev;
      prev = below;
    }
    const double mx = double(*std::max_element(c.begin(), c.end()));
    std::string d = "M" + px(x(edges[0])) + " " + px(base);
    for (size_t i = 0; i < c.size(); ++i) {
      const double y = base - (mx > 0 ? double(c[i]) / mx : 0) * (base - plot_top);
      d += "V" + px(y) + "H" + px(x(edges[i + 1]));
    }
    d += "V" + px(base) + "Z";
    s.path(d, (std::string("area ") + r.css).c_str(), "data-n=\"" + exact(n) + "\"");
    // Percentile marks; labels that would touch are joined ("p90 p99").
    struct Mark { double v; const char* name; };
    std::vector<Mark> marks;
    for (const Mark& m : {Mark{r.p50, "p50"}, Mark{r.p90, "p90"}, Mark{r.p99, "p99"}})
      if (!std::isnan(m.v)) marks.push_back(m);
    // Labels are placed left to right; one that would touch the one before joins it.
    struct Label { double x_sum = 0; int n = 0; std::string text; double center() const { return x_sum / n; } };
    auto half = [](const Label& l) { return 2.9 * double(l.text.size()); };  // 10 px text
    std::vector<Label> labels;
    for (const Mark& m : marks) {
      const double xv = x(std::max(ax.lo, m.v * 1e6));
      s.line(xv, plot_top - 2, xv, base, "pmark");
      Label l{xv, 1, m.name};
      while (!labels.empty() && labels.back().center() + half(labels.back()) + 4 > l.center() - half(l)) {
        Label& p = labels.back();
        l = Label{p.x_sum + l.x_sum, p.n + l.n, p.text + " " + l.text};
        labels.pop_back();
      }
      labels.push_back(l);
    }
    for (const Label& l : labels) s.text(std::max(double(kLeft), l.center()), top + 12, l.text, "middle", "plabel");
    // The numbers, from the JSON report.
    out += "<text x=\"" + px(kPlotR + 14) + "\" y=\"" + px(top + 34) + "\" class=\"pnum\">";
    bool first = true;
    for (const Mark& m : marks) {
      out += std::string(first ? "" : " \xc2\xb7 ") + "<tspan data-j=\"" + r.json_path + "/" + m.name +
             "\" data-v=\"" + exact(m.v) + "\">" + m.name + " " + esc(ms_text(m.v)) + "</tspan>";
      first = false;
    }
    out += "</text>";
  }
  const double ay = kTop + rows.size() * kRowH;
  for (size_t i = 0; i < ax.decades.size(); ++i) {
    const double d = ax.decades[i];
    s.line(x(d), ay, x(d), ay + 4, "axis");
    s.text(x(d), ay + 16, decade_label(d), "middle", "tick");
    if (i + 1 < ax.decades.size())
      for (double m : {2.0, 5.0}) s.line(x(d * m), ay, x(d * m), ay + 2.5, "axis");
  }
}

// ---------------------------------------------------------------------------------------------
// Over time

void time_chart(std::string& out, const TimeChart& c, int64_t t0, int64_t bin_ns, size_t bins) {
  constexpr int kW = 900, kH = 200, kLeft = 62, kRight = 14, kTop = 20, kBottom = 24;
  const double plot_w = kW - kLeft - kRight, base = kH - kBottom;
  const int64_t t1 = t0 + bin_ns * int64_t(bins);
  const Scale x{0, double(t1 - t0), double(kLeft), double(kW - kRight), false};
  auto bx = [&](size_t i) { return x(double(bin_ns) * double(i)); };
  // The y range: stacked sums and lines.
  std::vector<double> sums(bins, 0);
  double ymax = 0, ymin_pos = 0;
  for (const Series& s : c.stacked)
    for (size_t i = 0; i < bins && i < s.v.size(); ++i)
      if (!std::isnan(s.v[i])) sums[i] += s.v[i] * c.scale;
  for (double v : sums) ymax = std::max(ymax, v);
  for (const Series& s : c.lines)
    for (double v : s.v) {
      if (std::isnan(v)) continue;
      ymax = std::max(ymax, v * c.scale);
      if (v > 0 && (ymin_pos == 0 || v * c.scale < ymin_pos)) ymin_pos = v * c.scale;
    }
  Scale y;
  std::vector<std::pair<double, std::string>> yticks;
  if (c.log_y) {
    const LogAxis ax = nice_log(ymin_pos > 0 ? ymin_pos : 0.001, ymax > 0 ? ymax : 1);
    y = Scale{ax.lo, ax.hi, base, double(kTop), true};
    for (double d : ax.decades) yticks.emplace_back(d, decade_label(d * 1e6));
  } else {
    const LinearAxis ax = nice_linear(0, ymax > 0 ? ymax : 1, 4);
    y = Scale{ax.lo, ax.hi, base, double(kTop), false};
    for (double t : ax.ticks) yticks.emplace_back(t, short_number(t));
  }
  const std::string attrs = "id=\"" + c.id + "\" data-t0=\"" + std::to_string(t0) + "\" data-bin=\"" +
                            std::to_string(bin_ns) + "\" data-n=\"" + std::to_string(bins) + "\" data-x0=\"" +
                            std::to_string(kLeft) + "\" data-pw=\"" + px(plot_w) + "\" data-scale=\"" +
                            exact(c.scale) + "\" data-unit=\"" + esc(c.unit) + "\"" + (c.log_y ? " data-ms=\"1\"" : "");
  out += "<div class=\"ct\">" + esc(c.title) + "</div>\n";
  Svg s(out, kW, kH, "chart ts", c.title, attrs);
  for (const auto& t : yticks) {
    s.line(kLeft, y(t.first), kW - kRight, y(t.first), "grid");
    s.text(kLeft - 6, y(t.first) + 4, t.second, "end", "tick");
  }
  // The y axis' unit above its top tick (log axes of durations name theirs in each tick).
  if (!c.log_y && !c.unit.empty()) s.text(kLeft - 6, kTop - 8, c.unit, "end", "unit");
  std::vector<double> cum(bins, 0);
  for (const Series& se : c.stacked) {
    std::string d;
    for (size_t i = 0; i < bins; ++i) {
      const double v = i < se.v.size() && !std::isnan(se.v[i]) ? se.v[i] * c.scale : 0;
      if (v <= 0) continue;
      // One rectangle per bin with a value, joined with its neighbours' by the path.
      d += "M" + px(bx(i)) + " " + px(y(cum[i])) + "V" + px(y(cum[i] + v)) + "H" + px(bx(i + 1)) + "V" +
           px(y(cum[i])) + "Z";
      cum[i] += v;
    }
    s.path(d, ("area " + se.css).c_str(),
           "data-label=\"" + esc(se.label) + "\" data-v=\"" + values_attr(se.v) + "\"" +
               (se.attrs.empty() ? "" : " " + se.attrs));
  }
  for (const Series& se : c.lines) {
    std::string d, dots;
    auto value = [&](size_t i) {
      const double v = i < se.v.size() ? se.v[i] : kNone;
      return std::isnan(v) || (c.log_y && v <= 0) ? kNone : v;
    };
    bool open = false;
    for (size_t i = 0; i < bins; ++i) {
      const double v = value(i);
      if (std::isnan(v)) { open = false; continue; }
      const double yv = y(v * c.scale);
      if (!open) d += "M" + px(bx(i)) + " " + px(yv);
      else d += "V" + px(yv);
      d += "H" + px(bx(i + 1));
      // A value alone between gaps would be a short dash: it gets a dot too.
      if (!open && (i + 1 >= bins || std::isnan(value(i + 1))))
        dots += "M" + px((bx(i) + bx(i + 1)) / 2 - 2.5) + " " + px(yv) + "a2.5 2.5 0 1 0 5 0a2.5 2.5 0 1 0 -5 0Z";
      open = true;
    }
    if (!dots.empty()) s.path(dots, ("dot " + se.css).c_str());
    s.path(d, (std::string("line ") + se.css + (se.dashed ? " dash" : "")).c_str(),
           "data-label=\"" + esc(se.label) + "\" data-v=\"" + values_attr(se.v) + "\"" +
               (se.attrs.empty() ? "" : " " + se.attrs));
  }
  s.line(kLeft, kTop, kLeft, base, "axis");
  time_axis(s, x, t0, t1, base, plot_w);
  s.line(kLeft, kTop, kLeft, base, "xhair");
  s.rect(kLeft, kTop, plot_w, base - kTop, "hover");
}

// ---------------------------------------------------------------------------------------------
// Worker lanes

void lanes_chart(std::string& out, const std::vector<Lane>& lanes, const std::vector<double>& queued, int64_t t0,
                 int64_t bin_ns, size_t bins) {
  constexpr int kW = 900, kLeft = 170, kRight = 14, kQueueH = 34, kLaneH = 16, kTop = 6;
  const double plot_w = kW - kLeft - kRight;
  const double lanes_top = kTop + kQueueH + 8;
  const double bottom = lanes_top + double(lanes.size()) * kLaneH;
  const int h = int(bottom) + 24;
  const int64_t t1 = t0 + bin_ns * int64_t(bins);
  const Scale x{0, double(t1 - t0), double(kLeft), double(kW - kRight), false};
  auto bx = [&](size_t i) { return x(double(bin_ns) * double(i)); };
  const std::string attrs = "id=\"lanes\" data-t0=\"" + std::to_string(t0) + "\" data-bin=\"" + std::to_string(bin_ns) +
                            "\" data-n=\"" + std::to_string(bins) + "\" data-x0=\"" + std::to_string(kLeft) +
                            "\" data-pw=\"" + px(plot_w) + "\" data-top=\"" + px(lanes_top) + "\" data-lane=\"" +
                            std::to_string(kLaneH) + "\"";
  Svg s(out, kW, h, "chart lanes", "worker lanes: busy, idle and lost jobs over time", attrs);
  // Queued jobs (all functions) at each bin's end, on its own scale.
  double qmax = 0;
  for (double q : queued) if (!std::isnan(q)) qmax = std::max(qmax, q);
  s.text(kLeft - 8, kTop + 14, "queued", "end", "rowname");
  s.text(kLeft - 8, kTop + 27, "max " + short_number(qmax), "end", "tick");
  {
    std::string d;
    const double qb = kTop + kQueueH;
    for (size_t i = 0; i < bins && i < queued.size(); ++i) {
      if (std::isnan(queued[i]) || queued[i] <= 0 || qmax <= 0) continue;
      const double yv = qb - queued[i] / qmax * (kQueueH - 4);
      d += "M" + px(bx(i)) + " " + px(qb) + "V" + px(yv) + "H" + px(bx(i + 1)) + "V" + px(qb) + "Z";
    }
    s.path(d, "area cq", "data-label=\"queued\" data-q=\"sum:queued\" data-v=\"" + values_attr(queued) + "\"");
    s.line(kLeft, qb, kW - kRight, qb, "axis");
  }
  static const char* kLevel[] = {"idle", "b1", "b2", "b3", "b4"};
  for (size_t li = 0; li < lanes.size(); ++li) {
    const Lane& l = lanes[li];
    const double top = lanes_top + double(li) * kLaneH + 2, hh = kLaneH - 4;
    std::string name = l.name;
    // Long names are cut on the chart (whole in the tooltip and the table).
    if (name.size() > 26) {
      size_t cut = 24;
      while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xc0) == 0x80) --cut;
      name = name.substr(0, cut) + "\xe2\x80\xa6";
    }
    std::string vals, lost;
    for (size_t i = 0; i < bins; ++i) {
      if (i) { vals += ' '; lost += ' '; }
      const double b = i < l.busy.size() ? l.busy[i] : kNone;
      vals += std::isnan(b) ? std::string("-") : exact(b);
      lost += std::to_string(i < l.lost.size() ? l.lost[i] : 0);
    }
    out += "<g class=\"lane\" data-name=\"" + esc(l.name) + "\" data-v=\"" + vals + "\" data-lost=\"" + lost + "\"" +
           (l.attrs.empty() ? "" : " " + l.attrs) + ">";
    s.text(kLeft - 8, top + hh - 2, name, "end", "lname");
    s.line(kLeft, top + hh / 2, kW - kRight, top + hh / 2, "lanebg");
    // One path per shade: runs of bins with the same state.
    std::string paths[7];  // idle, b1..b4, idle while waiting, lost
    size_t i = 0;
    while (i < bins) {
      const double b = i < l.busy.size() ? l.busy[i] : kNone;
      if (std::isnan(b)) { ++i; continue; }
      auto level = [&](size_t k) -> int {
        const double v = k < l.busy.size() ? l.busy[k] : kNone;
        if (std::isnan(v)) return -1;
        if (v <= 0) return k < l.waiting.size() && l.waiting[k] ? 5 : 0;
        return std::min(4, 1 + int(v * 4 - 1e-9));
      };
      const int lv = level(i);
      size_t j = i + 1;
      while (j < bins && level(j) == lv) ++j;
      paths[lv] += "M" + px(bx(i)) + " " + px(top) + "H" + px(bx(j)) + "v" + px(hh) + "H" + px(bx(i)) + "Z";
      i = j;
    }
    for (size_t k = 0; k < bins && k < l.lost.size(); ++k) {
      if (!l.lost[k]) continue;
      const double cx = (bx(k) + bx(k + 1)) / 2;
      paths[6] += "M" + px(cx - 4) + " " + px(top - 2) + "h8l-4 7Z";
    }
    for (int k = 0; k < 5; ++k) if (!paths[k].empty()) s.path(paths[k], kLevel[k]);
    if (!paths[5].empty()) s.path(paths[5], "idlewait");
    if (!paths[6].empty()) s.path(paths[6], "lost");
    out += "</g>";
  }
  time_axis(s, x, t0, t1, bottom + 2, plot_w);
  s.line(kLeft, kTop, kLeft, bottom, "xhair");
  s.rect(kLeft, kTop, plot_w, bottom - kTop, "hover");
}

// ---------------------------------------------------------------------------------------------

void stacked_bar(std::string& out, const std::vector<Part>& parts, int width, int height) {
  uint64_t total = 0;
  for (const Part& p : parts) total += p.n;
  Svg s(out, width, height, "bar", "share of jobs by outcome");
  if (total == 0) {
    s.rect(0, 0, width, height, "idle");
    return;
  }
  double xv = 0;
  for (const Part& p : parts) {
    if (!p.n) continue;
    const double w = double(p.n) / double(total) * width;
    out += "<rect x=\"" + px(xv) + "\" y=\"0\" width=\"" + px(std::max(w, 1.0)) + "\" height=\"" +
           std::to_string(height) + "\" class=\"" + p.css + "\"><title>" + esc(p.label) + ": " + count_text(p.n) +
           " (" + percent_text(100.0 * double(p.n) / double(total)) + ")</title></rect>";
    xv += w;
  }
}

}  // namespace gan::html
