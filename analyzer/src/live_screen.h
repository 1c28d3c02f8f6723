// SPDX-License-Identifier: GPL-2.0-or-later
// The live screen (gearman-analyze -i on a terminal), like top: redrawn at each interval with the
// functions sorted by a column (p99 total time first; 's' picks the next column, 'q' stops), jobs
// per second, fail %, in flight, queued, p50/p99 of queue and run time, workers busy and idle,
// and the stuck jobs. Drawn with a few ANSI sequences on the alternate screen (docs: why not
// ncurses); no colour under NO_COLOR. Keys are read from stdin in non-canonical mode only when
// stdin is a terminal.
#pragma once

#include <termios.h>

#include <cstdio>
#include <string>

#include "analyzer.h"
#include "intervals.h"
#include "live_capture.h"

namespace gan {

class LiveScreen {
 public:
  struct Header {
    std::string iface, filter, version;
    int64_t interval_ns = 0;
  };
  LiveScreen(FILE* out, const Analyzer& a, Header h, bool color, bool keys);
  ~LiveScreen();
  LiveScreen(const LiveScreen&) = delete;
  LiveScreen& operator=(const LiveScreen&) = delete;

  // The descriptor keys come from (-1: none).
  int key_fd() const { return keys_ ? 0 : -1; }
  // A key was typed: true when it asks to stop.
  bool on_key();
  void on_interval(const Interval& iv, const LiveStats& st, int64_t now);
  // Back to the normal screen (before the final report).
  void close();

 private:
  void draw();
  std::string sort_name() const;

  FILE* out_;
  const Analyzer& a_;
  Header h_;
  bool color_, keys_;
  bool open_ = false;
  struct termios saved_{};
  int sort_ = 0;
  Interval last_;
  bool have_last_ = false;
  LiveStats stats_;
  int64_t now_ = 0;
};

}  // namespace gan
