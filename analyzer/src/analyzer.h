// The analyzer's pipeline after the capture source: frames → link/IP/TCP parsing (netstream) →
// connection table with per-direction reassembly and decoding (connections.h) → the job engine
// (gearjobs, shared with the plugin) → statistics (statistics.h). This class wires the stages:
// the first ones run on the caller's thread; the job engine and the statistics (job_stage.h) run
// there too, or on a second thread with Options::threads >= 2 (handoff.h), with the same results.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "connections.h"
#include "gearjobs/engine.h"
#include "handoff.h"
#include "job_stage.h"
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

  // The hooks below are called on the job stage's thread: the second one with Options::threads
  // >= 2. They see the stage in the single-threaded order; they may use stage() but not the
  // accessors further down (which wait for the stage). Set them before the first frame.
  // Called with every job as it is closed (its facts final), e.g. to write --jobs.
  void set_job_sink(std::function<void(const JobRecord&)> sink) { stage_.set_job_sink(std::move(sink)); }
  // Sees submits, assignments and job ends as they happen (interval statistics, intervals.h).
  void set_observer(StatsObserver* o) { stage_.set_observer(o); }
  // Called with each frame's time before the frame is read (interval boundaries, intervals.h).
  void set_clock(std::function<void(int64_t)> clock) {
    clocked_ = bool(clock);
    stage_.set_clock(std::move(clock));
  }
  // Time went on without a packet (live capture, from the wall clock): jobs lingering past their
  // time are closed.
  void advance(int64_t now) {
    settle();
    stage_.advance(now);
  }

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
  // Returns once every frame given so far has been through the job engine (with two threads the
  // engine may lag behind the reading). The results below call it themselves; between frames,
  // they may be read at any time (e.g. for interval reports of a live capture).
  void settle() const;

  const Totals& totals() const;
  const std::vector<FunctionStats>& functions() const { settle(); return stage_.statistics().functions(); }
  const std::vector<WorkerStats>& workers() const { settle(); return stage_.statistics().workers(); }
  const std::vector<ClientStats>& clients() const { settle(); return stage_.statistics().clients(); }
  const std::vector<ServerStats>& servers() const;
  const TextCounts& error_codes() const { settle(); return stage_.statistics().error_codes(); }
  std::vector<Warning> warnings() const;  // the analyzer's and the engine's
  std::vector<JobRecord> slowest() const { settle(); return stage_.statistics().slowest(); }
  JobRecord record(const gearjobs::Job& j) const { settle(); return stage_.statistics().record(j); }
  int32_t worker_of_conn(uint64_t serial) const { settle(); return stage_.statistics().worker_of_conn(serial); }
  uint64_t frame() const { return frame_; }
  const gearjobs::Engine& engine() const { settle(); return stage_.engine(); }
  bool threaded() const { return handoff_.threaded(); }
  // The job stage itself, for the hooks above (on its thread), without waiting.
  JobStage& stage() { return stage_; }
  const JobStage& stage() const { return stage_; }

 private:
  void note_time(int64_t ts_ns);
  // ConnectionEvents
  void on_gearman(Conn& c) override;
  void on_message(Conn& c, int from, const gearproto::Message& m) override;
  void on_skip(Conn& c, int from, uint64_t len, gearproto::SkipReason r, gearproto::FrameError why) override;
  void on_closed(Conn& c) override;
  void on_forgotten(Conn& c) override;

  void on_pdu(Conn& c, bool to_server, const gearproto::Message& m);
  void on_admin(Conn& c, bool to_server, const gearproto::Message& m);

  Options opt_;
  Totals totals_;  // the fields the first stages count (the job stage counts the others)
  WarningCounter warnings_;
  ConnectionTable conns_;
  std::vector<Endpoint> server_endpoints_;
  std::vector<ServerStats> server_counts_;  // connections, PDUs, admin commands per server
  std::vector<Slot> free_slots_;
  Slot next_slot_ = 0;
  uint64_t frame_ = 0;
  int64_t now_ = 0;
  int64_t prev_ts_ns_ = 0;  // the time of the frame read last (note_time)
  TcpSegment seg_;  // scratch for on_frame
  bool clocked_ = false;       // set_clock was given a clock
  mutable JobStage stage_;
  mutable Handoff handoff_;  // after stage_: it stops before the stage goes
  mutable Totals merged_totals_;
  mutable std::vector<ServerStats> merged_servers_;
};

}  // namespace gan
