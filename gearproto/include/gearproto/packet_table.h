// The Gearman binary packet table: one row per type number, read by everything else.
// Nothing outside packet_table.cpp hard-codes a type's argument layout.
#pragma once

#include <cstddef>
#include <cstdint>

namespace gearproto {

// Packet type numbers as they appear on the wire (gearmand's gearman_command_t).
enum PacketType : uint32_t {
  CAN_DO = 1, CANT_DO = 2, RESET_ABILITIES = 3, PRE_SLEEP = 4,
  NOOP = 6, SUBMIT_JOB = 7, JOB_CREATED = 8, GRAB_JOB = 9, NO_JOB = 10, JOB_ASSIGN = 11,
  WORK_STATUS = 12, WORK_COMPLETE = 13, WORK_FAIL = 14, GET_STATUS = 15, ECHO_REQ = 16,
  ECHO_RES = 17, SUBMIT_JOB_BG = 18, ERROR = 19, STATUS_RES = 20, SUBMIT_JOB_HIGH = 21,
  SET_CLIENT_ID = 22, CAN_DO_TIMEOUT = 23, ALL_YOURS = 24, WORK_EXCEPTION = 25, OPTION_REQ = 26,
  OPTION_RES = 27, WORK_DATA = 28, WORK_WARNING = 29, GRAB_JOB_UNIQ = 30, JOB_ASSIGN_UNIQ = 31,
  SUBMIT_JOB_HIGH_BG = 32, SUBMIT_JOB_LOW = 33, SUBMIT_JOB_LOW_BG = 34, SUBMIT_JOB_SCHED = 35,
  SUBMIT_JOB_EPOCH = 36, SUBMIT_REDUCE_JOB = 37, SUBMIT_REDUCE_JOB_BACKGROUND = 38,
  GRAB_JOB_ALL = 39, JOB_ASSIGN_ALL = 40, GET_STATUS_UNIQUE = 41, STATUS_RES_UNIQUE = 42,
};
constexpr uint32_t kMaxKnownType = 42;

// The two magic codes. A request goes to the server, a response comes from it.
enum class Magic : uint8_t { Req = 1, Res = 2 };
constexpr uint8_t kMagicReqBit = 1;
constexpr uint8_t kMagicResBit = 2;
inline uint8_t magic_bit(Magic m) { return static_cast<uint8_t>(m); }
const char* magic_name(Magic m);  // "REQ" / "RES"

// Which kind of peer the server talks to with this packet (the spec table's third column).
enum class Role : uint8_t { Client, Worker, ClientOrWorker };
const char* role_name(Role r);

// Every argument kind the protocol has. The last argument of a packet runs to the end of the data.
enum class Arg : uint8_t {
  Function, Unique, Handle, Payload, Numerator, Denominator, Timeout, Epoch,
  Minute, Hour, DayOfMonth, Month, DayOfWeek, Reducer, Aggregate, ClientId, Option,
  ErrorCode, ErrorText, Known, Running, ClientCount, EchoData,
};
constexpr size_t kArgKindCount = static_cast<size_t>(Arg::EchoData) + 1;
const char* arg_name(Arg a);   // short snake_case name, used for field names: "function", "unique", ...
const char* arg_title(Arg a);  // human title: "Function", "Unique ID", ...
bool arg_is_number(Arg a);     // decimal number on the wire

enum class Priority : uint8_t { None, High, Normal, Low };
const char* priority_name(Priority p);

// What a packet means for a job's lifecycle; the lifecycle code switches on this, not on types.
enum class JobRole : uint8_t {
  None,          // not about a job (CAN_DO, ECHO, ...)
  Submit,        // SUBMIT_JOB*: a client asks for a job
  Created,       // JOB_CREATED: the server's handle for the oldest unanswered submit
  Assign,        // JOB_ASSIGN*: a worker receives a job
  Update,        // WORK_STATUS / WORK_DATA / WORK_WARNING
  Terminal,      // WORK_COMPLETE / WORK_FAIL / WORK_EXCEPTION
  StatusQuery,   // GET_STATUS / GET_STATUS_UNIQUE
  StatusReply,   // STATUS_RES / STATUS_RES_UNIQUE
};

constexpr size_t kMaxArgs = 8;  // SUBMIT_JOB_SCHED has 8

struct PacketInfo {
  uint32_t type;
  const char* name;
  uint8_t magics;       // kMagicReqBit | kMagicResBit: which magic may carry it
  Role role;
  JobRole job_role;
  Priority priority;    // Submit only
  bool background;      // Submit only: the client gets no result
  uint8_t argc;         // number of arguments; 0 = the data must be empty
  Arg args[kMaxArgs];
  const char* summary;  // one line for docs and tooltips

  bool allows(Magic m) const { return (magics & magic_bit(m)) != 0; }
  // Index of an argument kind in this layout, or -1.
  int index_of(Arg a) const {
    for (int i = 0; i < argc; ++i) if (args[i] == a) return i;
    return -1;
  }
};

// nullptr for 0, 5, 43 and above: unknown types.
const PacketInfo* packet_info(uint32_t type);

// Where each argument kind sits in a known type's layout (-1: not in it): PacketInfo::index_of
// without its loop, for readers that ask a PDU for its arguments by kind (the job engine).
struct ArgPositions {
  int8_t of[kArgKindCount];
};
struct ArgPositionTable {
  ArgPositions by_type[kMaxKnownType + 1];  // an unknown type's row is all -1
};
extern const ArgPositionTable kArgPositions;
// The row of `type` (an unknown type's: all -1).
inline const ArgPositions* arg_positions(uint32_t type) {
  return &kArgPositions.by_type[type <= kMaxKnownType ? type : 0];
}
// "UNKNOWN" when not known.
const char* packet_name(uint32_t type);
// Type number for a name like "SUBMIT_JOB" (case-sensitive), or 0.
uint32_t packet_type_by_name(const char* name, size_t len);

// All known rows, in type order, for building field tables and value_strings.
const PacketInfo* packet_table_begin();
const PacketInfo* packet_table_end();

// The spec: "All job handle arguments must not be longer than 64 bytes, including NULL terminator."
constexpr size_t kMaxHandleLength = 63;

}  // namespace gearproto
