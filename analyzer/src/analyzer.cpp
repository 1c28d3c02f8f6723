#include "analyzer.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <cstdio>

#include "gearproto/arguments.h"

namespace gan {

using gearproto::Bytes;

Analyzer::Analyzer(Options o)
    : opt_(std::move(o)),
      engine_(engine_options(opt_)),
      conns_(opt_, *this, warnings_, totals_),
      stats_(engine_, totals_, conns_, opt_.top) {
  engine_.set_sink(&stats_);
}

Analyzer::~Analyzer() = default;

void Analyzer::warn(const std::string& kind, const std::string& detail, uint64_t frame) {
  warnings_.add(Warning{kind, 1, 0, frame ? frame : frame_, detail});
}

void Analyzer::warn_count(const std::string& kind, uint64_t count, const std::string& detail) {
  warnings_.add(Warning{kind, count, 0, frame_, detail});
}

std::vector<Warning> Analyzer::warnings() const {
  std::vector<Warning> all = warnings_.list();
  const gearjobs::Warnings& w = engine_.warnings();
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
  if (clock_) clock_(ts_ns);
  ++frame_;
  ++totals_.frames;
  if (totals_.first_ns == kNoTime) totals_.first_ns = ts_ns;
  totals_.last_ns = ts_ns;
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

void Analyzer::on_segment(const TcpSegment& s) {
  if (clock_) clock_(s.ts_ns);
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
  engine_.finish();
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
  if (idx == server_endpoints_.size()) {
    server_endpoints_.push_back(srv);
    stats_.add_server(endpoint_string(srv));
  }
  c.server = idx;
  c.peer.server = idx;
  ++stats_.server(idx).connections;
  c.engine = engine_.open_conn(idx, c.id);
}

void Analyzer::on_closed(Conn& c) {
  stats_.on_closed(c.peer);
  engine_.close_conn(c.engine, now_);
  c.engine = gearjobs::ConnRef{};
}

void Analyzer::on_skip(Conn& c, int from, uint64_t len, gearproto::SkipReason r, gearproto::FrameError why) {
  (void)from;
  if (why == gearproto::FrameError::Oversize)
    warnings_.count("oversize_message", 0, "PDU headers whose length is over --max-message-size: not waited for, skipped as not Gearman (see resync)", frame_);
  // Lost or garbled bytes may have held requests or their answers: in-order pairing on this
  // connection cannot be trusted across them (the plugin applies the same rule at garbage).
  if (r == gearproto::SkipReason::Gap || r == gearproto::SkipReason::Truncated || r == gearproto::SkipReason::Garbage)
    engine_.lost_bytes(c.engine, frame_);
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
// Messages into the engine, effects into the statistics

void Analyzer::on_pdu(Conn& c, bool to_server, const gearproto::Message& m) {
  using namespace gearproto;
  ++totals_.pdus;
  ++stats_.server(c.server).pdus;
  if (m.error != FrameError::None || !m.header.info) {
    warnings_.count("malformed_pdu", m.raw.size(), "PDUs of unknown type or with a magic their type may not carry", frame_);
    return;
  }
  // The engine reads no numeric argument, so numbers are not parsed here.
  const Arguments a = split_arguments(*m.header.info, m.data, ArgChecks::Structure);
  if (a.defects & (kMissingArguments | kEmptyRequired))
    warnings_.count("malformed_arguments", 0, "PDUs whose arguments do not fit their type", frame_);
  gearjobs::PduIn in;
  in.to_server = to_server;
  in.frame = frame_;
  in.t = now_;
  in.header = &m.header;
  in.args = &a;
  const gearjobs::Effect e = engine_.on_binary(c.engine, in);
  stats_.on_pdu(c.peer, to_server, m.header.type, a, e, now_);
}

void Analyzer::on_admin(Conn& c, bool to_server, const gearproto::Message& m) {
  using namespace gearproto;
  if (to_server) {
    const AdminRequest r = parse_admin_command(m.line);
    ++totals_.admin_commands;
    ++stats_.server(c.server).admin_commands;
    engine_.on_admin_command(c.engine, r, frame_, now_, 0);
    return;
  }
  ++totals_.admin_reply_lines;
  AdminReplyLine line;
  engine_.on_admin_reply(c.engine, m.line, line, frame_, now_);
  stats_.on_admin_reply(line);
}

}  // namespace gan
