#include "gearproto/packet_table.h"

#include <cstring>

namespace gearproto {
namespace {

constexpr uint8_t REQ = kMagicReqBit;
constexpr uint8_t RES = kMagicResBit;
constexpr uint8_t BOTH = kMagicReqBit | kMagicResBit;
using A = Arg;
using J = JobRole;
using P = Priority;
constexpr Role C = Role::Client;
constexpr Role W = Role::Worker;
constexpr Role CW = Role::ClientOrWorker;

// Layouts follow what real software puts on the wire where it differs from PROTOCOL:
// libgearman sends SUBMIT_REDUCE_JOB(_BACKGROUND) as FUNC, UNIQ, REDUCER, an empty AGGREGATE, DATA
// (gearmand's command table: 4 arguments + data), and gearmand's STATUS_RES_UNIQUE is UNIQUE,
// KNOWN, RUNNING, NUM, DENOM, CLIENT_COUNT.
constexpr PacketInfo kTable[] = {
  {CAN_DO, "CAN_DO", REQ, W, J::None, P::None, false, 1, {A::Function}, "Worker can run a function"},
  {CANT_DO, "CANT_DO", REQ, W, J::None, P::None, false, 1, {A::Function}, "Worker no longer runs a function"},
  {RESET_ABILITIES, "RESET_ABILITIES", REQ, W, J::None, P::None, false, 0, {}, "Worker forgets all its functions"},
  {PRE_SLEEP, "PRE_SLEEP", REQ, W, J::None, P::None, false, 0, {}, "Worker goes to sleep; wake it with NOOP"},
  {NOOP, "NOOP", RES, W, J::None, P::None, false, 0, {}, "Wake-up for a sleeping worker"},
  {SUBMIT_JOB, "SUBMIT_JOB", REQ, C, J::Submit, P::Normal, false, 3, {A::Function, A::Unique, A::Payload}, "Submit a job"},
  {JOB_CREATED, "JOB_CREATED", RES, C, J::Created, P::None, false, 1, {A::Handle}, "Job queued; its handle"},
  {GRAB_JOB, "GRAB_JOB", REQ, W, J::None, P::None, false, 0, {}, "Worker asks for a job"},
  {NO_JOB, "NO_JOB", RES, W, J::None, P::None, false, 0, {}, "No job for the worker"},
  {JOB_ASSIGN, "JOB_ASSIGN", RES, W, J::Assign, P::None, false, 3, {A::Handle, A::Function, A::Payload}, "Job given to a worker"},
  {WORK_STATUS, "WORK_STATUS", BOTH, CW, J::Update, P::None, false, 3, {A::Handle, A::Numerator, A::Denominator}, "Job progress"},
  {WORK_COMPLETE, "WORK_COMPLETE", BOTH, CW, J::Terminal, P::None, false, 2, {A::Handle, A::Payload}, "Job completed, with its result"},
  {WORK_FAIL, "WORK_FAIL", BOTH, CW, J::Terminal, P::None, false, 1, {A::Handle}, "Job failed"},
  {GET_STATUS, "GET_STATUS", REQ, C, J::StatusQuery, P::None, false, 1, {A::Handle}, "Ask for a job's status by handle"},
  {ECHO_REQ, "ECHO_REQ", REQ, CW, J::None, P::None, false, 1, {A::EchoData}, "Echo request"},
  {ECHO_RES, "ECHO_RES", RES, CW, J::None, P::None, false, 1, {A::EchoData}, "Echo reply"},
  {SUBMIT_JOB_BG, "SUBMIT_JOB_BG", REQ, C, J::Submit, P::Normal, true, 3, {A::Function, A::Unique, A::Payload}, "Submit a background job"},
  {ERROR, "ERROR", RES, CW, J::None, P::None, false, 2, {A::ErrorCode, A::ErrorText}, "Server error"},
  {STATUS_RES, "STATUS_RES", RES, C, J::StatusReply, P::None, false, 5, {A::Handle, A::Known, A::Running, A::Numerator, A::Denominator}, "Job status by handle"},
  {SUBMIT_JOB_HIGH, "SUBMIT_JOB_HIGH", REQ, C, J::Submit, P::High, false, 3, {A::Function, A::Unique, A::Payload}, "Submit a high-priority job"},
  {SET_CLIENT_ID, "SET_CLIENT_ID", REQ, CW, J::None, P::None, false, 1, {A::ClientId}, "Name this connection"},
  {CAN_DO_TIMEOUT, "CAN_DO_TIMEOUT", REQ, W, J::None, P::None, false, 2, {A::Function, A::Timeout}, "Worker can run a function, with a time limit"},
  {ALL_YOURS, "ALL_YOURS", REQ, W, J::None, P::None, false, 0, {}, "Worker is connected to this server only"},
  {WORK_EXCEPTION, "WORK_EXCEPTION", BOTH, CW, J::Terminal, P::None, false, 2, {A::Handle, A::Payload}, "Job failed with an exception"},
  {OPTION_REQ, "OPTION_REQ", REQ, CW, J::None, P::None, false, 1, {A::Option}, "Set a connection option"},
  {OPTION_RES, "OPTION_RES", RES, CW, J::None, P::None, false, 1, {A::Option}, "Option set"},
  {WORK_DATA, "WORK_DATA", BOTH, CW, J::Update, P::None, false, 2, {A::Handle, A::Payload}, "Partial job result"},
  {WORK_WARNING, "WORK_WARNING", BOTH, CW, J::Update, P::None, false, 2, {A::Handle, A::Payload}, "Job warning"},
  {GRAB_JOB_UNIQ, "GRAB_JOB_UNIQ", REQ, W, J::None, P::None, false, 0, {}, "Worker asks for a job, with unique ID"},
  {JOB_ASSIGN_UNIQ, "JOB_ASSIGN_UNIQ", RES, W, J::Assign, P::None, false, 4, {A::Handle, A::Function, A::Unique, A::Payload}, "Job given to a worker, with unique ID"},
  {SUBMIT_JOB_HIGH_BG, "SUBMIT_JOB_HIGH_BG", REQ, C, J::Submit, P::High, true, 3, {A::Function, A::Unique, A::Payload}, "Submit a high-priority background job"},
  {SUBMIT_JOB_LOW, "SUBMIT_JOB_LOW", REQ, C, J::Submit, P::Low, false, 3, {A::Function, A::Unique, A::Payload}, "Submit a low-priority job"},
  {SUBMIT_JOB_LOW_BG, "SUBMIT_JOB_LOW_BG", REQ, C, J::Submit, P::Low, true, 3, {A::Function, A::Unique, A::Payload}, "Submit a low-priority background job"},
  {SUBMIT_JOB_SCHED, "SUBMIT_JOB_SCHED", REQ, C, J::Submit, P::Normal, true, 8, {A::Function, A::Unique, A::Minute, A::Hour, A::DayOfMonth, A::Month, A::DayOfWeek, A::Payload}, "Submit a job to run at a scheduled time"},
  {SUBMIT_JOB_EPOCH, "SUBMIT_JOB_EPOCH", REQ, C, J::Submit, P::Normal, true, 4, {A::Function, A::Unique, A::Epoch, A::Payload}, "Submit a job to run at a Unix time"},
  {SUBMIT_REDUCE_JOB, "SUBMIT_REDUCE_JOB", REQ, C, J::Submit, P::Normal, false, 5, {A::Function, A::Unique, A::Reducer, A::Aggregate, A::Payload}, "Submit a map/reduce job"},
  {SUBMIT_REDUCE_JOB_BACKGROUND, "SUBMIT_REDUCE_JOB_BACKGROUND", REQ, C, J::Submit, P::Normal, true, 5, {A::Function, A::Unique, A::Reducer, A::Aggregate, A::Payload}, "Submit a background map/reduce job"},
  {GRAB_JOB_ALL, "GRAB_JOB_ALL", REQ, W, J::None, P::None, false, 0, {}, "Worker asks for a job, with unique ID and reducer"},
  {JOB_ASSIGN_ALL, "JOB_ASSIGN_ALL", RES, W, J::Assign, P::None, false, 5, {A::Handle, A::Function, A::Unique, A::Reducer, A::Payload}, "Job given to a worker, with unique ID and reducer"},
  {GET_STATUS_UNIQUE, "GET_STATUS_UNIQUE", REQ, C, J::StatusQuery, P::None, false, 1, {A::Unique}, "Ask for a job's status by unique ID"},
  {STATUS_RES_UNIQUE, "STATUS_RES_UNIQUE", RES, C, J::StatusReply, P::None, false, 6, {A::Unique, A::Known, A::Running, A::Numerator, A::Denominator, A::ClientCount}, "Job status by unique ID"},
};

// Index by type number; 0 marks an unknown type.
struct Index {
  uint8_t slot[kMaxKnownType + 1] = {};
  constexpr Index() {
    for (size_t i = 0; i < sizeof(kTable) / sizeof(kTable[0]); ++i) slot[kTable[i].type] = static_cast<uint8_t>(i + 1);
  }
};
constexpr Index kIndex;

constexpr ArgPositionTable make_positions() {
  ArgPositionTable t{};
  for (ArgPositions& row : t.by_type)
    for (int8_t& p : row.of) p = -1;
  for (const PacketInfo& row : kTable)
    for (uint8_t i = 0; i < row.argc; ++i) t.by_type[row.type].of[static_cast<size_t>(row.args[i])] = static_cast<int8_t>(i);
  return t;
}

struct ArgText { const char* name; const char* title; bool number; };
constexpr ArgText kArgText[kArgKindCount] = {
  {"function", "Function", false},
  {"unique", "Unique ID", false},
  {"handle", "Job handle", false},
  {"payload", "Payload", false},
  {"numerator", "Numerator", true},
  {"denominator", "Denominator", true},
  {"timeout", "Timeout (ms)", true},
  {"epoch", "Epoch", true},
  {"minute", "Minute", true},
  {"hour", "Hour", true},
  {"day_of_month", "Day of month", true},
  {"month", "Month", true},
  {"day_of_week", "Day of week", true},
  {"reducer", "Reducer", false},
  {"aggregate", "Aggregate", false},
  {"client_id", "Client ID", false},
  {"option", "Option", false},
  {"error_code", "Error code", false},
  {"error_text", "Error text", false},
  {"known", "Known", true},
  {"running", "Running", true},
  {"client_count", "Client count", true},
  {"echo_data", "Echo data", false},
};

}  // namespace

const char* magic_name(Magic m) { return m == Magic::Req ? "REQ" : "RES"; }

const char* role_name(Role r) {
  switch (r) {
    case Role::Client: return "client";
    case Role::Worker: return "worker";
    case Role::ClientOrWorker: return "client/worker";
  }
  return "?";
}

const char* arg_name(Arg a) { return kArgText[static_cast<size_t>(a)].name; }
const char* arg_title(Arg a) { return kArgText[static_cast<size_t>(a)].title; }
bool arg_is_number(Arg a) { return kArgText[static_cast<size_t>(a)].number; }

const char* priority_name(Priority p) {
  switch (p) {
    case Priority::High: return "high";
    case Priority::Normal: return "normal";
    case Priority::Low: return "low";
    case Priority::None: break;
  }
  return "none";
}

// A constant expression: set before any code runs.
extern const ArgPositionTable kArgPositions = make_positions();

const PacketInfo* packet_info(uint32_t type) {
  if (type > kMaxKnownType || kIndex.slot[type] == 0) return nullptr;
  return &kTable[kIndex.slot[type] - 1];
}

const char* packet_name(uint32_t type) {
  const PacketInfo* info = packet_info(type);
  return info ? info->name : "UNKNOWN";
}

uint32_t packet_type_by_name(const char* name, size_t len) {
  for (const PacketInfo& row : kTable)
    if (std::strlen(row.name) == len && std::memcmp(row.name, name, len) == 0) return row.type;
  return 0;
}

const PacketInfo* packet_table_begin() { return kTable; }
const PacketInfo* packet_table_end() { return kTable + sizeof(kTable) / sizeof(kTable[0]); }

}  // namespace gearproto
