// SPDX-License-Identifier: GPL-2.0-or-later
#include "svg.h"

#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace gan::html {

namespace {

// The length of the valid UTF-8 sequence at s[i] (0: not valid there). Overlong forms,
// surrogates and code points past U+10FFFF are not valid.
size_t utf8_length(const std::string& s, size_t i, uint32_t& cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  size_t n;
  if (c >= 0xc2 && c <= 0xdf) { n = 2; cp = c & 0x1f; }
  else if (c >= 0xe0 && c <= 0xef) { n = 3; cp = c & 0x0f; }
  else if (c >= 0xf0 && c <= 0xf4) { n = 4; cp = c & 0x07; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

// Three significant digits, no exponent: "850", "12.3", "1.50".
std::string sig3(double v) {
  char b[48];
  const double a = std::fabs(v);
  if (a >= 99.95) std::snprintf(b, sizeof b, "%.0f", v);
  else if (a >= 9.995) std::snprintf(b, sizeof b, "%.1f", v);
  else std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

std::tm utc(int64_t ns) {
  const int64_t s = ns >= 0 ? ns / 1000000000 : -((-ns + 999999999) / 1000000000);
  const std::time_t t = static_cast<std::time_t>(s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

}  // namespace

std::string esc(const std::string& s) {
  std::string o;
  o.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '&': o += "&amp;"; break;
        case '<': o += "&lt;"; break;
        case '>': o += "&gt;"; break;
        case '"': o += "&quot;"; break;
        case '\'': o += "&#39;"; break;
        case '\n': o += "\\n"; break;
        case '\r': o += "\\r"; break;
        case '\t': o += "\\t"; break;
        default:
          if (c < 0x20 || c == 0x7f) {
            char b[8];
            std::snprintf(b, sizeof b, "\\x%02x", c);
            o += b;
          } else {
            o += char(c);
          }
      }
      ++i;
      continue;
    }
    uint32_t cp = 0;
    const size_t n = utf8_length(s, i, cp);
    if (n == 0) {
      o += "\xef\xbf\xbd";  // U+FFFD for each byte that is not valid UTF-8
      ++i;
      continue;
    }
    // Controls and direction overrides from the wire are shown, not obeyed.
    if ((cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) ||
        cp == 0x2028 || cp == 0x2029) {
      char b[16];
      std::snprintf(b, sizeof b, "\\u%04x", cp);
      o += b;
    } else {
      o.append(s, i, n);
    }
    i += n;
  }
  return o;
}

std::string exact(double v) {
  if (!std::isfinite(v)) return "null";
  char b[40];
  const auto r = std::to_chars(b, b + sizeof b, v);  // the shortest text that reads back as v
  return std::string(b, r.ptr);
}

std::string exact(uint64_t v) { return std::to_string(v); }

std::string count_text(uint64_t n) {
  std::string d = std::to_string(n), o;
  for (size_t i = 0; i < d.size(); ++i) {
    if (i && (d.size() - i) % 3 == 0) o += ',';
    o += d[i];
  }
  return o;
}

std::string ms_text(double ms) {
  if (!std::isfinite(ms)) return "-";
  if (ms == 0) return "0 ms";
  struct Unit { double below, per_ms; const char* name; };
  static const Unit kUnits[] = {{0.001, 1e6, "ns"}, {1, 1e3, "\xc2\xb5s"}, {1000, 1, "ms"},
                                {60000, 1e-3, "s"}, {3600000, 1.0 / 60000, "min"}};
  for (const Unit& u : kUnits) {
    // Rounded to 3 digits it must stay below the next unit ("1000 ms" is "1.00 s").
    if (std::fabs(ms) * u.per_ms < 999.5 && std::fabs(ms) < u.below) return sig3(ms * u.per_ms) + " " + u.name;
  }
  return sig3(ms / 3600000) + " h";
}

std::string short_number(double v) {
  const double a = std::fabs(v);
  char b[40];
  if (a >= 1e9) std::snprintf(b, sizeof b, "%gG", std::round(v / 1e8) / 10);
  else if (a >= 1e6) std::snprintf(b, sizeof b, "%gM", std::round(v / 1e5) / 10);
  else if (a >= 1e4) std::snprintf(b, sizeof b, "%gk", std::round(v / 1e2) / 10);
  else std::snprintf(b, sizeof b, "%.4g", v);
  return b;
}

std::string percent_text(double p) {
  if (p <= 0) return "0%";
  if (p < 0.1) return "<0.1%";
  if (p >= 100) return "100%";
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%", p);
  return b;
}

std::string decade_label(double ns) {
  char b[32];
  if (ns < 1e3) std::snprintf(b, sizeof b, "%g ns", ns);
  else if (ns < 1e6) std::snprintf(b, sizeof b, "%g \xc2\xb5s", ns / 1e3);
  else if (ns < 1e9) std::snprintf(b, sizeof b, "%g ms", ns / 1e6);
  else std::snprintf(b, sizeof b, "%g s", ns / 1e9);
  return b;
}

std::string utc_text(int64_t ns, bool with_ms) {
  const std::tm tm = utc(ns);
  char b[64];
  std::snprintf(b, sizeof b, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::string o = b;
  if (with_ms) {
    const int64_t ms = (ns - floor_div(ns, 1000000000) * 1000000000) / 1000000;
    std::snprintf(b, sizeof b, ".%03d", int(ms));
    o += b;
  }
  return o + " UTC";
}

LinearAxis nice_linear(double lo, double hi, int max_ticks) {
  LinearAxis a;
  if (!(hi > lo)) hi = lo + 1;
  if (max_ticks < 1) max_ticks = 1;
  const double raw = (hi - lo) / max_ticks;
  const double mag = std::pow(10, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw * (1 - 1e-9)) break;
  }
  a.lo = std::floor(lo / step + 1e-9) * step;
  a.hi = std::ceil(hi / step - 1e-9) * step;
  for (int i = 0; a.lo + i * step <= a.hi + step * 1e-6; ++i) {
    double v = a.lo + i * step;
    if (std::fabs(v) < step * 1e-9) v = 0;
    a.ticks.push_back(v);
  }
  return a;
}

LogAxis nice_log(double lo, double hi) {
  LogAxis a;
  if (!(lo > 0)) lo = 1;
  if (!(hi > lo)) hi = lo;
  a.lo = std::pow(10, std::floor(std::log10(lo) + 1e-9));
  a.hi = std::pow(10, std::ceil(std::log10(hi) - 1e-9));
  if (a.hi <= a.lo) a.hi = a.lo * 10;
  for (double d = a.lo; d <= a.hi * (1 + 1e-9); d *= 10) a.decades.push_back(d);
  return a;
}

std::vector<TimeTick> time_ticks(int64_t t0, int64_t t1, int max_ticks) {
  constexpr int64_t ms = 1000000, s = 1000 * ms, min = 60 * s, h = 60 * min, d = 24 * h;
  static const int64_t kSteps[] = {ms, 2 * ms, 5 * ms, 10 * ms, 20 * ms, 50 * ms, 100 * ms, 200 * ms, 500 * ms,
                                   s, 2 * s, 5 * s, 10 * s, 15 * s, 30 * s, min, 2 * min, 5 * min, 10 * min,
                                   15 * min, 30 * min, h, 2 * h, 3 * h, 6 * h, 12 * h, d, 2 * d, 7 * d};
  std::vector<TimeTick> out;
  if (t1 <= t0 || max_ticks < 1) return out;
  int64_t step = kSteps[sizeof kSteps / sizeof kSteps[0] - 1];
  for (int64_t st : kSteps)
    if ((t1 - t0) / st <= max_ticks) { step = st; break; }
  while ((t1 - t0) / step > max_ticks) step *= 2;
  const bool days = t1 - t0 >= d || utc(t0).tm_yday != utc(t1).tm_yday;
  int last_day = -1;
  for (int64_t t = (floor_div(t0, step) + (t0 % step != 0)) * step; t <= t1; t += step) {
    const std::tm tm = utc(t);
    char b[48];
    if (step >= d) {
      std::snprintf(b, sizeof b, "%02d-%02d", tm.tm_mon + 1, tm.tm_mday);
    } else {
      std::string day;
      if (days && tm.tm_yday != last_day) {
        char db[16];
        std::snprintf(db, sizeof db, "%02d-%02d ", tm.tm_mon + 1, tm.tm_mday);
        day = db;
      }
      if (step >= min) {
        std::snprintf(b, sizeof b, "%s%02d:%02d", day.c_str(), tm.tm_hour, tm.tm_min);
      } else if (step >= s) {
        std::snprintf(b, sizeof b, "%s%02d:%02d:%02d", day.c_str(), tm.tm_hour, tm.tm_min, tm.tm_sec);
      } else {
        const int64_t frac = (t - floor_div(t, s) * s) / ms;
        const int digits = step >= 100 * ms ? 1 : step >= 10 * ms ? 2 : 3;
        const int64_t div = digits == 1 ? 100 : digits == 2 ? 10 : 1;
        std::snprintf(b, sizeof b, "%s%02d:%02d:%02d.%0*" PRId64, day.c_str(), tm.tm_hour, tm.tm_min, tm.tm_sec,
                      digits, frac / div);
      }
    }
    last_day = tm.tm_yday;
    out.push_back(TimeTick{t, b});
  }
  return out;
}

double Scale::operator()(double v) const {
  if (log) {
    if (!(v > 0)) v = d0;
    const double l0 = std::log10(d0), l1 = std::log10(d1);
    return r0 + (std::log10(v) - l0) / (l1 - l0) * (r1 - r0);
  }
  return d1 == d0 ? r0 : r0 + (v - d0) / (d1 - d0) * (r1 - r0);
}

std::string px(double v) {
  // Tenths as an integer: printf's float formatting was most of the page's cost.
  long long t = std::llround(v * 10);
  std::string o;
  if (t < 0) { o = "-"; t = -t; }
  o += std::to_string(t / 10);
  if (t % 10) { o += '.'; o += char('0' + t % 10); }
  return o == "-0" ? "0" : o;
}

Svg::Svg(std::string& o, int width, int height, const std::string& cls, const std::string& label,
         const std::string& attrs)
    : out(o) {
  out += "<svg class=\"" + cls + "\" viewBox=\"0 0 " + std::to_string(width) + " " + std::to_string(height) +
         "\" width=\"" + std::to_string(width) + "\" height=\"" + std::to_string(height) +
         "\" role=\"img\" aria-label=\"" + esc(label) + "\"" + (attrs.empty() ? "" : " " + attrs) + ">";
}

Svg::~Svg() { out += "</svg>\n"; }

void Svg::text(double x, double y, const std::string& s, const char* anchor, const char* cls) {
  out += "<text x=\"" + px(x) + "\" y=\"" + px(y) + "\"";
  if (anchor && std::string(anchor) != "start") out += std::string(" text-anchor=\"") + anchor + "\"";
  if (cls) out += std::string(" class=\"") + cls + "\"";
  out += ">" + esc(s) + "</text>";
}

void Svg::line(double x1, double y1, double x2, double y2, const char* cls) {
  out += "<line x1=\"" + px(x1) + "\" y1=\"" + px(y1) + "\" x2=\"" + px(x2) + "\" y2=\"" + px(y2) + "\" class=\"" +
         cls + "\"/>";
}

void Svg::rect(double x, double y, double w, double h, const char* cls, const std::string& attrs) {
  out += "<rect x=\"" + px(x) + "\" y=\"" + px(y) + "\" width=\"" + px(w) + "\" height=\"" + px(h) + "\" class=\"" +
         cls + "\"" + (attrs.empty() ? "" : " " + attrs) + "/>";
}

void Svg::path(const std::string& d, const char* cls, const std::string& attrs) {
  out += "<path d=\"" + d + "\" class=\"" + cls + "\"" + (attrs.empty() ? "" : " " + attrs) + "/>";
}

}  // namespace gan::html
