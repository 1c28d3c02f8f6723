// The analyzer's pipeline after the capture source: frames → link/IP/TCP parsing (netstream) →
// connection table with per-direction reassembly and decoding (connections.h) → the job engine
// (gearjobs, shared with the plugin) → statistics (statistics.h). This class wires the stages.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "connections.h"
#include "gearjobs/engine.h"
#include "job_record.h"
#include "netstream/packet.h"
#include "netstream/tcp_direction.h"
#include "options.h"
#include "statistics.h"
#include "warning_counter.h"

namespace gan {

// Link/IP/TCP parsing and reassembly live in netstream; the analyzer names them as its own.
using netstream::Endpoint;
using netstream::TcpSegment;
using netstream::ParseResult;
using netstream::parse_frame;
using netstream::format_endpoint;
using netstream::TcpDirection;
using netstream::StreamOut;
using netstream::ReassemblyCounts;
using netstream::kFin;
using netstream::kSyn;
using netstream::kRst;
using netstream::kPsh;
using netstream::kAck;

class Analyzer final : ConnectionEvents {
 public:
  explicit Analyzer(Options o = {});
  ~Analyzer();
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;

  // Called with every job as it is closed (its facts final), e.g. to write --jobs.
  void set_job_sink(std::function<void(const JobRecord&)> sink) { stats_.set_record_sink(std::move(sink)); }
  // Sees submits, assignments and job ends as they happen (interval statistics, intervals.h).
  void set_observer(StatsObserver* o) { stats_.set_observer(o); }
  // Called with each frame's time before the frame is read (interval boundaries, intervals.h).
  void set_clock(std::function<void(int64_t)> clock) { clock_ = std::move(clock); }
  // Time went on without a packet (live capture, from the wall clock): jobs lingering past their
  // time are closed.
  void advance(int64_t now) { engine_.advance(now); }

  // One captured frame; numbers frames 1, 2, ... across calls.
  void on_frame(int dlt, const uint8_t* data, uint32_t caplen, uint32_t wirelen, int64_t ts_ns);
  // A TCP segment already parsed (tests feed these directly; `frame` 0 takes the next number).
  void on_segment(const TcpSegment& s);
  // Something outside the TCP pipeline went wrong (e.g. a file cut off): kept as a warning.
  void warn(const std::string& kind, const std::string& detail, uint64_t frame = 0);
  // ... counted `count` times (e.g. packets the kernel dropped).
  void warn_count(const std::string& kind, uint64_t count, const std::string& detail);
  // End of the capture: flush streams, close jobs still open (incomplete).
  void finish();

  const Totals& totals() const { return totals_; }
  const std::vector<FunctionStats>& functions() const { return stats_.functions(); }
  const std::vector<WorkerStats>& workers() const { return stats_.workers(); }
  const std::vector<ClientStats>& clients() const { return stats_.clients(); }
  const std::vector<ServerStats>& servers() const { return stats_.servers(); }
  const TextCounts& error_codes() const { return stats_.error_codes(); }
  std::vector<Warning> warnings() const;  // the analyzer's and the engine's
  std::vector<JobRecord> slowest() const { return stats_.slowest(); }
  JobRecord record(const gearjobs::Job& j) const { return stats_.record(j); }
  int32_t worker_of_conn(uint64_t serial) const { return stats_.worker_of_conn(serial); }
  uint64_t frame() const { return frame_; }
  const gearjobs::Engine& engine() const { return engine_; }

 private:
  // ConnectionEvents
  void on_gearman(Conn& c) override;
  void on_message(Conn& c, int from, const gearproto::Message& m) override;
  void on_skip(Conn& c, int from, uint64_t len, gearproto::SkipReason r, gearproto::FrameError why) override;
  void on_closed(Conn& c) override;

  void on_pdu(Conn& c, bool to_server, const gearproto::Message& m);
  void on_admin(Conn& c, bool to_server, const gearproto::Message& m);

  Options opt_;
  Totals totals_;
  WarningCounter warnings_;
  gearjobs::Engine engine_;
  ConnectionTable conns_;
  Statistics stats_;
  std::vector<Endpoint> server_endpoints_;
  uint64_t frame_ = 0;
  int64_t now_ = 0;
  TcpSegment seg_;  // scratch for on_frame
  std::function<void(int64_t)> clock_;
};

}  // namespace gan
