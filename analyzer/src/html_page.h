// SPDX-License-Identifier: GPL-2.0-or-later
// Shared by the HTML report's sections (html_report.cpp, html_timeline.cpp): cells that show a
// number of the JSON report with its place in it, and the page's CSS and script (html_assets.cpp).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace gan::html {

using J = nlohmann::ordered_json;

// ' data-j="/path" data-v="value"': where a number shown comes from in the JSON report.
std::string src(const std::string& path, const J& v);
// A table cell showing `v` (a count, or milliseconds when `ms`; "–" for null), with src().
std::string num_td(const std::string& path, const J& v, bool ms = false);
// An inline element (span) doing the same.
std::string num_span(const std::string& path, const J& v, bool ms = false);
// The value as text: counts with separators, ms as durations, strings escaped.
std::string show(const J& v, bool ms = false);

extern const char kCss[];
extern const char kScript[];

}  // namespace gan::html
