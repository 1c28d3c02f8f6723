// The analyzer's second stage: the job engine (gearjobs) and the statistics, fed with what the
// first stage (frames, connections, reassembly, decoding: analyzer.h) found, as a sequence of
// events. The stage's results depend only on that sequence, so it may run on another thread
// (handoff.h) and still give exactly the single-threaded report.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "gearjobs/engine.h"
#include "gearjobs/flat_map.h"
#include "gearproto/arg_spans.h"
#include "gearproto/bytes.h"
#include "gearproto/framer.h"
#include "netstream/packet.h"
#include "options.h"
#include "statistics.h"
#include "warning_counter.h"

namespace gan {

// The first stage's number for a Gearman connection while the second stage knows it: dense, and
// reused after the connection is forgotten (ForgetEvent).
using Slot = uint32_t;

// A connection just found to be Gearman.
struct OpenEvent {
  Slot slot = 0;
  uint64_t serial = 0;              // the connection's serial (jobs name connections by it)
  uint32_t server = 0;              // the server endpoint's number
  bool new_server = false;          // the first connection to that endpoint
  netstream::Endpoint server_end;   // with new_server
  netstream::Endpoint peer_end;     // the client or worker end
};

// A binary PDU of a known type with the magic its type may carry. `args` views `data`.
struct PduEvent {
  Slot slot = 0;
  bool to_server = false;
  uint64_t frame = 0;
  int64_t t = 0;
  gearproto::Header header;
  gearproto::Bytes data;  // after the 12-byte header
  const gearproto::ArgSpans* args = nullptr;
};

// An admin text line: a command (to the server) or a reply line.
struct LineEvent {
  Slot slot = 0;
  bool to_server = false;
  uint64_t frame = 0;
  int64_t t = 0;
  gearproto::Bytes line;
};

class JobStage final : PeerDirectory {
 public:
  explicit JobStage(const Options& o);
  ~JobStage();
  JobStage(const JobStage&) = delete;
  JobStage& operator=(const JobStage&) = delete;

  void set_job_sink(std::function<void(const JobRecord&)> sink) { stats_.set_record_sink(std::move(sink)); }
  void set_observer(StatsObserver* o) { stats_.set_observer(o); }
  void set_clock(std::function<void(int64_t)> clock) { clock_ = std::move(clock); }

  void open(const OpenEvent& e);
  void pdu(const PduEvent& e);
  void line(const LineEvent& e);
  // Bytes of the connection were lost (a gap, a message cut off).
  void lost(Slot s, uint64_t frame);
  // FIN/RST, dropped, or the capture ended.
  void close(Slot s, int64_t t);
  // The first stage forgot the connection: its statistics peer goes, the slot may be reused.
  void forget(Slot s);
  // A frame's time, before the frame's events: handed to the clock (set_clock).
  void clock(int64_t t) {
    if (clock_) clock_(t);
  }
  // Time went on without a packet: jobs lingering past `now` are closed.
  void advance(int64_t now) { engine_.advance(now); }
  // End of the capture: jobs still open are closed.
  void finish();

  const Statistics& statistics() const { return stats_; }
  const Totals& job_totals() const { return totals_; }  // the fields Statistics counts
  // The stage's own warnings (malformed_arguments: the arguments are split on either thread).
  const WarningCounter& warnings() const { return warnings_; }
  const gearjobs::Engine& engine() const { return engine_; }
  gearjobs::Engine& engine() { return engine_; }

 private:
  struct ConnInfo {
    gearjobs::ConnRef engine;
    Peer peer;
    bool open = false;
  };
  Peer* peer(uint64_t serial) override;
  ConnInfo& info(Slot s);

  Totals totals_;
  WarningCounter warnings_;
  gearjobs::Engine engine_;
  Statistics stats_;
  std::vector<std::unique_ptr<ConnInfo>> slots_;
  gearjobs::FlatMap<Peer> by_serial_;
  std::function<void(int64_t)> clock_;
};

}  // namespace gan
