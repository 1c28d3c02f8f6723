// SPDX-License-Identifier: GPL-2.0-or-later
// Capture source: libpcap on a live interface (gearman-analyze -i), in immediate mode, with a BPF
// filter for the watched ports, optionally saving what it captures (-w). The caller polls its
// file descriptor and calls dispatch(); the frames go to the analyzer as from a file.
#pragma once

#include <pcap/pcap.h>

#include <cstdint>
#include <string>
#include <vector>

#include "analyzer.h"

namespace gan {

struct LiveStats {
  uint64_t received = 0;   // pcap_stats ps_recv: packets the filter passed
  uint64_t dropped = 0;    // ps_drop: dropped because the buffer was full (the analyzer was slow)
  uint64_t if_dropped = 0; // ps_ifdrop: dropped by the interface or its driver
  uint64_t delivered = 0;  // handed to the analyzer
  bool valid = false;      // pcap_stats answered
};

class LiveCapture {
 public:
  LiveCapture() = default;
  ~LiveCapture();
  LiveCapture(const LiveCapture&) = delete;
  LiveCapture& operator=(const LiveCapture&) = delete;

  // The BPF filter for `ports`, "" when every packet is wanted (the heuristic looks at all
  // ports).
  static std::string filter_for(const std::vector<uint16_t>& ports, bool all);

  // Opens `iface`; false with `err` ("lo0: No such device exists", "eth0: You don't have
  // permission ...") when it cannot. `filter` is extended to VLAN-tagged frames where the link
  // has them. `save` (may be "") is a pcap file for every captured frame.
  bool open(const std::string& iface, const std::string& filter, const std::string& save, std::string& err);
  // A descriptor that polls readable when frames wait.
  int fd() const;
  // Hands every waiting frame to `a` (non-blocking). Returns how many; -1 with `err` when the
  // capture failed (the interface went away).
  int dispatch(Analyzer& a, std::string& err);
  // Kernel counters; the saved file is flushed.
  LiveStats stats();
  // Stops (pcap_breakloop from a signal handler).
  pcap_t* handle() const { return p_; }
  int datalink() const { return dlt_; }
  const std::string& filter() const { return filter_; }  // as set on the capture
  // Flushes and closes the saved file; false with `err` when writing it failed.
  bool close(std::string& err);

 private:
  static void on_packet(u_char* user, const struct pcap_pkthdr* h, const u_char* data);
  pcap_t* p_ = nullptr;
  pcap_dumper_t* dump_ = nullptr;
  std::string save_;
  std::string filter_;
  Analyzer* a_ = nullptr;
  int dlt_ = 0;
  uint64_t delivered_ = 0;
};

}  // namespace gan
