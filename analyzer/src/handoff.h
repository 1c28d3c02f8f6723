// Hands the first stage's events to the JobStage: directly (one thread), or through a second
// thread that runs the stage while the first stage reads on (two threads, both cores busy).
//
// Two threads: events are copied into batches (the PDU's data with them, so nothing points into
// reader buffers that move on), and the batches go through a ring of a few fixed buffers in
// order: the stage sees exactly the single-threaded sequence of events, memory stays bounded
// (kBatches x kBatchBytes), and a reader that is faster than the stage waits for a free buffer.
// A message over 64 KiB is not copied: the ring is drained and the stage takes it on the reading
// thread (rare; the drained stage thread is idle meanwhile).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "job_stage.h"
#include "options.h"

namespace gan {

class Handoff {
 public:
  static constexpr size_t kBatches = 4;
  static constexpr size_t kBatchBytes = 256 * 1024;

  // `threads` >= 2: the stage runs on its own thread.
  Handoff(JobStage& stage, unsigned threads, Options::SplitArgs split = Options::SplitArgs::Adaptive);
  ~Handoff();  // what was handed over is processed first
  Handoff(const Handoff&) = delete;
  Handoff& operator=(const Handoff&) = delete;

  bool threaded() const { return thread_.joinable(); }

  void open(const OpenEvent& e);
  // The PDU with its arguments split (ArgChecks::Structure: the engine reads no numeric
  // argument). Threaded, the split is done by the side that is ahead: the reader while the ring
  // is full (the stage is behind), else the stage thread (split_on_reader_). Either way the stage
  // sees the same spans. `e.args` is not read; `e.header.info` is not null (unknown types never
  // reach the stage).
  void pdu(const PduEvent& e);
  void line(const LineEvent& e);
  void lost(Slot s, uint64_t frame);
  void close(Slot s, int64_t t);
  void forget(Slot s);
  // A frame's time, before the frame (JobStage::clock).
  void clock(int64_t t);

  // Returns once the stage has processed every event handed over so far; until the next event,
  // its results may be read from this thread (e.g. for interval reports of a live capture).
  void settle();
  // settle(), the stage's finish(), and the second thread stops.
  void finish();

 private:
  struct Batch {
    std::unique_ptr<uint8_t[]> bytes;
    size_t used = 0;  // set when published
  };
  uint8_t* reserve(size_t n);  // room for a record of n bytes (a multiple of 8)
  void publish();              // the current batch to the stage thread
  void choose_splitter(uint64_t backlog);
  void stop();
  void run();                  // the stage thread
  void replay(const Batch& b);

  void pdu_direct(const PduEvent& e);

  JobStage& stage_;
  gearproto::ArgSpans direct_spans_;  // the direct way's
  std::thread thread_;
  // What the reader writes per record and what the stage thread reads per batch sit on
  // different cache lines: a line written by one core and read by the other moves between them
  // at every access (the reader's fill level next to the ring's locks cost a miss per record).
  alignas(64) Batch* current_ = nullptr;  // being filled: ring_[published_ % kBatches] (reader thread only)
  size_t filled_bytes_ = 0;               // of current_ (reader thread only; its `used` at publish)
  // Whether the reader splits the PDUs' arguments into the records (reader thread only; set at
  // each publish from the ring's fill: the arguments' split is ~12 % of the reader's work, work
  // that either side can do, so the side that waits takes it and neither core idles while the
  // other is slow, as shared machines make one core or the other for a while).
  bool split_on_reader_ = true;
  Options::SplitArgs split_policy_;
  alignas(64) std::mutex mu_;
  std::condition_variable filled_;   // the stage thread waits for a batch
  std::condition_variable emptied_;  // the reader waits for a free buffer or for the stage to settle
  Batch ring_[kBatches];
  // Read without the lock by the side that waits (it spins a little before it sleeps: wait_for),
  // written under mu_ so that a side asleep on its condition variable is woken. Each on its own
  // line: the other side's spinning reads do not take the writer's line away.
  alignas(64) std::atomic<uint64_t> published_{0};  // batches handed over (the reader writes)
  alignas(64) std::atomic<uint64_t> consumed_{0};   // batches the stage has processed (the stage writes)
  std::atomic<bool> stopping_{false};
};

}  // namespace gan
