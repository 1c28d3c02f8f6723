// SPDX-License-Identifier: GPL-2.0-or-later
#include "live_capture.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace gan {

std::string LiveCapture::filter_for(const std::vector<uint16_t>& ports, bool all) {
  if (all) return "";
  std::string p;
  for (size_t i = 0; i < ports.size(); ++i) {
    if (std::find(ports.begin(), ports.begin() + long(i), ports[i]) != ports.begin() + long(i)) continue;
    p += (p.empty() ? "tcp port " : " or tcp port ") + std::to_string(ports[i]);
  }
  return p;
}

LiveCapture::~LiveCapture() {
  if (dump_) pcap_dump_close(dump_);
  if (p_) pcap_close(p_);
}

bool LiveCapture::open(const std::string& iface, const std::string& filter, const std::string& save, std::string& err) {
  char eb[PCAP_ERRBUF_SIZE] = "";
  p_ = pcap_create(iface.c_str(), eb);
  if (!p_) { err = iface + ": " + eb; return false; }
  pcap_set_snaplen(p_, 262144);
  pcap_set_promisc(p_, 1);  // as tcpdump: a mirror port's traffic is not addressed to this host
  pcap_set_immediate_mode(p_, 1);  // each packet as it comes: intervals are written on time
  pcap_set_buffer_size(p_, 16 << 20);
  pcap_set_tstamp_precision(p_, PCAP_TSTAMP_PRECISION_NANO);
  int rc = pcap_activate(p_);
  if (rc < 0) {
    std::string why = pcap_geterr(p_);
    if (rc == PCAP_ERROR_NO_SUCH_DEVICE && why.empty()) why = "no such interface";
    if (rc == PCAP_ERROR_PERM_DENIED && why.empty()) why = "permission denied (capturing needs root or CAP_NET_RAW)";
    err = iface + ": " + (why.empty() ? pcap_statustostr(rc) : why);
    return false;
  }
  dlt_ = pcap_datalink(p_);
  if (!filter.empty()) {
    struct bpf_program prog;
    // Tagged frames match only after 'vlan' shifts the offsets; links without VLAN tags (Linux
    // cooked, as on -i any) refuse the keyword: the ports alone, then.
    filter_ = "(" + filter + ") or (vlan and (" + filter + "))";
    if (pcap_compile(p_, &prog, filter_.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      filter_ = filter;
      if (pcap_compile(p_, &prog, filter_.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
        err = iface + ": filter '" + filter + "': " + pcap_geterr(p_);
        return false;
      }
    }
    rc = pcap_setfilter(p_, &prog);
    pcap_freecode(&prog);
    if (rc != 0) { err = iface + ": filter '" + filter + "': " + pcap_geterr(p_); return false; }
  }
  if (pcap_setnonblock(p_, 1, eb) != 0) { err = iface + ": " + eb; return false; }
  if (!save.empty()) {
    dump_ = pcap_dump_open(p_, save.c_str());
    if (!dump_) { err = save + ": " + pcap_geterr(p_); return false; }
    save_ = save;
  }
  return true;
}

int LiveCapture::fd() const { return p_ ? pcap_get_selectable_fd(p_) : -1; }

void LiveCapture::on_packet(u_char* user, const struct pcap_pkthdr* h, const u_char* data) {
  auto* self = reinterpret_cast<LiveCapture*>(user);
  if (self->dump_) pcap_dump(reinterpret_cast<u_char*>(self->dump_), h, data);
  const int64_t ts = int64_t(h->ts.tv_sec) * 1000000000 + int64_t(h->ts.tv_usec);  // tv_usec holds ns
  ++self->delivered_;
  self->a_->on_frame(self->dlt_, data, h->caplen, h->len, ts);
}

int LiveCapture::dispatch(Analyzer& a, std::string& err) {
  a_ = &a;
  int n = pcap_dispatch(p_, -1, on_packet, reinterpret_cast<u_char*>(this));
  if (n == PCAP_ERROR_BREAK) return 0;  // a signal: the caller sees the stop
  if (n < 0) { err = pcap_geterr(p_); return -1; }
  return n;
}

LiveStats LiveCapture::stats() {
  LiveStats s;
  s.delivered = delivered_;
  struct pcap_stat ps;
  if (p_ && pcap_stats(p_, &ps) == 0) {
    s.valid = true;
    s.received = ps.ps_recv;
    s.dropped = ps.ps_drop;
    s.if_dropped = ps.ps_ifdrop;
  }
  if (dump_) pcap_dump_flush(dump_);
  return s;
}

bool LiveCapture::close(std::string& err) {
  if (!dump_) return true;
  errno = 0;
  bool ok = pcap_dump_flush(dump_) == 0;
  FILE* f = pcap_dump_file(dump_);
  ok = ok && !std::ferror(f);
  int e = errno;
  pcap_dump_close(dump_);
  dump_ = nullptr;
  if (!ok) err = "writing " + save_ + ": " + std::strerror(e ? e : EIO);
  return ok;
}

}  // namespace gan
