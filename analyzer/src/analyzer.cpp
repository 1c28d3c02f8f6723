#include "analyzer.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <cstdio>

#include "gearproto/arguments.h"

namespace gan {

using gearproto::Bytes;

Analyzer::Analyzer(Options o)
    : opt_(std::move(o)),
      conns_(opt_, *this, warnings_, totals_),
      stage_(opt_),
      handoff_(stage_, opt_.threads, opt_.split_args) {}

Analyzer::~Analyzer() = default;

void Analyzer::warn(const std::string& kind, const std::string& detail, uint64_t frame) {
  warnings_.add(Warning{kind, 1, 0, frame ? frame : frame_, detail});
}

void Analyzer::settle() const { handoff_.settle(); }

// The first stages count frames, segments, PDUs and connections; the job stage counts jobs.
const Totals& Analyzer::totals() const {
  settle();
  merged_totals_ = totals_;
  add_job_totals(merged_totals_, stage_.job_totals());
  return merged_totals_;
}

const std::vector<ServerStats>& Analyzer::servers() const {
  settle();
  merged_servers_ = stage_.statistics().servers();
  for (size_t i = 0; i < merged_servers_.size() && i < server_counts_.size(); ++i) {
    merged_servers_[i].connections = server_counts_[i].connections;
    merged_servers_[i].pdus = server_counts_[i].pdus;
    merged_servers_[i].admin_commands = server_counts_[i].admin_commands;
  }
  return merged_servers_;
}

void Analyzer::warn_count(const std::string& kind, uint64_t count, const std::string& detail) {
  warnings_.add(Warning{kind, count, 0, frame_, detail});
}

std::vector<Warning> Analyzer::warnings() const {
  settle();
  std::vector<Warning> all = warnings_.list();
  all.insert(all.end(), stage_.warnings().list().begin(), stage_.warnings().list().end());
  const gearjobs::Warnings& w = stage_.engine().warnings();
  for (int k = 0; k < gearjobs::kWarningKinds; ++k) {
    const gearjobs::WarningCount& c = w.of[k];
    if (c.count == 0) continue;
    const auto kind = static_cast<gearjobs::WarningKind>(k);
    all.push_back(Warning{gearjobs::warning_name(kind), c.count, c.amount, c.first_frame, gearjobs::warning_detail(kind)});
  }
  std::stable_sort(all.begin(), all.end(), [](const Warning& a, const Warning& b) { return a.first_frame < b.first_frame; });
  return all;
}

// ---------------------------------------------------------------------------------------------
// Frames

void Analyzer::on_frame(int dlt, const uint8_t* data, uint32_t caplen, uint32_t wirelen, int64_t ts_ns) {
  if (clocked_) handoff_.clock(ts_ns);
  ++frame_;
  ++totals_.frames;
  note_time(ts_ns);
  ParseResult r = parse_frame(dlt, data, caplen, wirelen, seg_);
  switch (r) {
    case ParseResult::Tcp:
      seg_.frame = frame_;
      seg_.ts_ns = ts_ns;
      now_ = ts_ns;
      conns_.on_segment(seg_);
      return;
    case ParseResult::NotTcp: return;
    case ParseResult::UnknownLink: {  // one warning per link type, named
      char d[128];
      const char* name = pcap_datalink_val_to_name(dlt);
      std::snprintf(d, sizeof d, "link type %d (%s): frames of a link type the analyzer does not read", dlt,
                    name ? name : "unknown to libpcap");
      warnings_.count("unknown_link_type", 0, d, frame_);
      return;
    }
    case ParseResult::Unsupported: {  // one warning per encapsulation, named
      char d[128];
      int n = netstream::describe_unsupported(seg_, d, sizeof d);
      if (n > 0 && size_t(n) < sizeof d)
        std::snprintf(d + n, sizeof d - size_t(n), ": frames in an encapsulation the analyzer does not read");
      warnings_.count("unsupported_encapsulation", 0, d, frame_);
      return;
    }
    case ParseResult::Fragment: warnings_.count("ip_fragment", 0, "IP fragments are not reassembled; their bytes count as lost if Gearman", frame_); return;
    case ParseResult::Truncated: warnings_.count("snaplen_headers", 0, "frames cut off by the snap length inside their link/IP/TCP headers", frame_); return;
    case ParseResult::Malformed: warnings_.count("malformed_frame", 0, "frames whose IP/TCP headers do not add up", frame_); return;
  }
}

// The capture's span is its earliest to its latest frame: files given out of time order (they
// are read as one capture, in the order given) or a clock stepped back would otherwise give a
// negative duration. A step back of more than a second is named: intervals that cross it (queue,
// run and total times) are not what happened. Smaller inversions are normal in merged captures.
void Analyzer::note_time(int64_t ts_ns) {
  constexpr int64_t kStepBack = 1000000000;
  if (totals_.last_ns != kNoTime && prev_ts_ns_ - ts_ns > kStepBack)
    warnings_.count("time_step_back", 0, "frames dated more than 1 s before the frame read just before them (files given out of time order, or a clock step): intervals across such a step are not what happened", frame_);
  totals_.saw_time(ts_ns);
  prev_ts_ns_ = ts_ns;
}

void Analyzer::on_segment(const TcpSegment& s) {
  if (clocked_) handoff_.clock(s.ts_ns);
  totals_.saw_time(s.ts_ns);  // on_frame's note_time, without the frame order it warns about
  if (s.frame == 0) {
    TcpSegment t = s;
    t.frame = ++frame_;
    now_ = t.ts_ns;
    conns_.on_segment(t);
    return;
  }
  frame_ = s.frame;
  now_ = s.ts_ns;
  conns_.on_segment(s);
}

void Analyzer::finish() {
  const uint64_t undecided = conns_.undecided();
  if (undecided)
    warnings_.add(Warning{"undecided_connections", undecided, 0, frame_,
                          "connections on other ports whose first bytes were too few to tell whether they are "
                          "Gearman when the capture ended: not decoded"});
  conns_.finish();
  handoff_.finish();
  if (totals_.connections == 0 && totals_.tcp_segments > 0) {
    std::string ports;
    for (uint16_t p : opt_.ports) ports += (ports.empty() ? "" : ", ") + std::to_string(p);
    warnings_.add(Warning{"no_gearman", 1, 0, 0,
                          "no Gearman connection in " + std::to_string(totals_.tcp_segments) +
                              " TCP segments: none on port(s) " + ports +
                              (opt_.heuristic ? ", and none on other ports looked like Gearman (add --port PORT)"
                                              : " (the heuristic for other ports is off)")});
  }
}

// ---------------------------------------------------------------------------------------------
// Connections

void Analyzer::on_gearman(Conn& c) {
  const Endpoint& srv = c.server_end();
  uint32_t idx = 0;
  for (; idx < server_endpoints_.size(); ++idx) if (server_endpoints_[idx] == srv) break;
  OpenEvent e;
  e.new_server = idx == server_endpoints_.size();
  if (e.new_server) {
    server_endpoints_.push_back(srv);
    server_counts_.emplace_back();
  }
  c.server = idx;
  ++server_counts_[idx].connections;
  if (free_slots_.empty()) {
    c.slot = next_slot_++;
  } else {
    c.slot = free_slots_.back();
    free_slots_.pop_back();
  }
  e.slot = c.slot;
  e.serial = c.id;
  e.server = idx;
  e.server_end = srv;
  e.peer_end = c.peer_end();
  handoff_.open(e);
}

void Analyzer::on_closed(Conn& c) { handoff_.close(c.slot, now_); }

void Analyzer::on_forgotten(Conn& c) {
  handoff_.forget(c.slot);
  free_slots_.push_back(c.slot);
}

void Analyzer::on_skip(Conn& c, int from, uint64_t len, gearproto::SkipReason r, gearproto::FrameError why) {
  (void)from;
  if (why == gearproto::FrameError::Oversize)
    warnings_.count("oversize_message", 0, "PDU headers whose length is over --max-message-size: not waited for, skipped as not Gearman (see resync)", frame_);
  // Lost or garbled bytes may have held requests or their answers: in-order pairing on this
  // connection cannot be trusted across them (the plugin applies the same rule at garbage).
  // (Garbage for a bad magic or an oversize length began with NUL: framer.h.)
  const bool from_nul = why == gearproto::FrameError::BadMagic || why == gearproto::FrameError::Oversize;
  if (r == gearproto::SkipReason::Gap || r == gearproto::SkipReason::Truncated ||
      (r == gearproto::SkipReason::Garbage && gearproto::garbage_may_hold_messages(from_nul, len)))
    handoff_.lost(c.slot, frame_);
  switch (r) {
    case gearproto::SkipReason::Gap: warnings_.count("gap", len, "bytes missing from the capture (lost or not captured): decoding resynchronised after them", frame_); break;
    case gearproto::SkipReason::Garbage: warnings_.count("resync", len, "bytes that are not Gearman, skipped to the next plausible header", frame_); break;
    case gearproto::SkipReason::Truncated: warnings_.count("truncated_message", len, "messages cut off by a gap or by the end of their stream", frame_); break;
    case gearproto::SkipReason::LineTooLong: warnings_.count("line_too_long", len, "admin text lines over the length limit", frame_); break;
    case gearproto::SkipReason::MidStream: warnings_.count("mid_stream_skip", len, "bytes before the first plausible header of a stream joined in its middle", frame_); break;
  }
}

void Analyzer::on_message(Conn& c, int from, const gearproto::Message& m) {
  const bool to_server = c.to_server(from);
  if (m.kind == gearproto::MessageKind::Binary) on_pdu(c, to_server, m);
  else on_admin(c, to_server, m);
}

// ---------------------------------------------------------------------------------------------
// Messages to the job stage

void Analyzer::on_pdu(Conn& c, bool to_server, const gearproto::Message& m) {
  using namespace gearproto;
  ++totals_.pdus;
  ++server_counts_[c.server].pdus;
  if (m.error != FrameError::None || !m.header.info) {
    warnings_.count("malformed_pdu", m.raw.size(), "PDUs of unknown type or with a magic their type may not carry", frame_);
    return;
  }
  PduEvent e;
  e.slot = c.slot;
  e.to_server = to_server;
  e.frame = frame_;
  e.t = now_;
  e.header = m.header;
  e.data = m.data;
  handoff_.pdu(e);
}

void Analyzer::on_admin(Conn& c, bool to_server, const gearproto::Message& m) {
  if (to_server) {
    ++totals_.admin_commands;
    ++server_counts_[c.server].admin_commands;
  } else {
    ++totals_.admin_reply_lines;
  }
  LineEvent e;
  e.slot = c.slot;
  e.to_server = to_server;
  e.frame = frame_;
  e.t = now_;
  e.line = m.line;
  handoff_.line(e);
}

}  // namespace gan
