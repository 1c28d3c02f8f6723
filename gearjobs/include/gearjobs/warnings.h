// What the job engine could not make sense of, counted by kind. The names are part of the
// analyzer's JSON contract (docs/gearman-analyze.md): add kinds, never rename them.
#pragma once

#include <cstdint>

namespace gearjobs {

enum class WarningKind : uint8_t {
  SubmitPairingReset,    // unanswered submits forgotten at lost bytes
  SubmitFifoOverflow,    // more unanswered submits on one connection than the limit
  HandleTooLong,         // a handle over the protocol's 64 bytes: not tracked
  SubmitPairingMismatch, // JOB_ASSIGN names another function than the submit paired with the handle
  LateTerminal,          // a worker's terminal packet after the job's first
  LateResult,            // a result to a client after its first
  LateUpdate,            // WORK_STATUS/DATA/WARNING after the job's end
  OrphanResult,          // a result to a client for a handle with no job
  UnknownHandle,         // worker results the server answered with JOB_NOT_FOUND: not jobs
  OpenJobsCap,           // jobs closed early because too many were open
  GaveUpWaiting,         // jobs closed without a packet they waited for (the capture lost it?)
  RefusedTerminal,       // a worker's terminal packet the server refuses (no NUL before an empty last argument)
  AcceptedBareTerminal,  // such a packet the server took after all: it relayed the result to the client
  Count
};
constexpr int kWarningKinds = static_cast<int>(WarningKind::Count);

const char* warning_name(WarningKind k);    // e.g. "late_terminal"
const char* warning_detail(WarningKind k);  // one sentence for reports

struct WarningCount {
  uint64_t count = 0;
  uint64_t amount = 0;       // a second number where the kind has one (e.g. submits forgotten)
  uint64_t first_frame = 0;
};

struct Warnings {
  WarningCount of[kWarningKinds];
  void add(WarningKind k, uint64_t frame, uint64_t amount = 0) {
    WarningCount& w = of[static_cast<int>(k)];
    if (w.count++ == 0) w.first_frame = frame;
    w.amount += amount;
  }
  // A packet counted under `k` turned out to be another kind (its first frame is kept).
  void retract(WarningKind k) {
    WarningCount& w = of[static_cast<int>(k)];
    if (w.count) --w.count;
  }
  const WarningCount& operator[](WarningKind k) const { return of[static_cast<int>(k)]; }
};

}  // namespace gearjobs
