// The byte language of fuzz_engine: an input is one configuration byte followed by 8-byte
// records, each one step of a front end driving the job engine (open or close a connection, a
// binary PDU, an admin line, lost bytes, a clock change, finish, reset). Fixed-size records keep a
// mutation inside one step; a short last record reads its missing bytes as 0.
// fuzz_engine.cpp interprets it; make_corpus.cpp writes seed scripts with the Script builder.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gearproto/packet_table.h"

namespace enginefuzz {

constexpr size_t kRecord = 8;
constexpr int kSlots = 6;  // connections the script can name at once

enum Op : uint8_t {
  kOpen,          // [slot][server]
  kClose,         // [slot][step]
  kPdu,           // [slot][type][flags][handle][function][unique][misc]
  kAdminCommand,  // [slot][command][step]
  kAdminReply,    // [slot][line][step]
  kLostBytes,     // [slot]
  kClock,         // [how][a][b][c][shift]
  kAdvance,       // [step]
  kFinish,
  kReset,
  kStale,        // [what]: close_conn / lost_bytes with an invalid ref, or closing a closed one again
  kOpCount
};

// Configuration byte.
enum Config : uint8_t {
  kKeepJobs = 1u << 0,       // the plugin's mode; otherwise the analyzer's (job objects reused)
  kLimitsShift = 1,          // 2 bits: Caps below
  kTimingShift = 3,          // 2 bits: Timing below
  kTwoServers = 1u << 5,     // slots 2 and 3 open on server 1 unless opened explicitly (kOpen names it)
  kNoSink = 1u << 6,         // no JobSink set (the engine must not need one)
};
enum Caps : uint8_t { kSmallCaps, kTinyCaps, kDefaultCaps, kNoJobCap };
enum Timing : uint8_t { kDefaultTiming, kShortTiming, kZeroTiming, kLongLingerShortExpect };

// kPdu flags.
enum PduFlags : uint8_t {
  kToServer = 1u << 0,
  kOtherMagic = 1u << 1,   // the magic other than the direction's, where the type allows it
  kShapeShift = 2,         // 2 bits: Shape below
  kSameFrame = 1u << 4,    // in the same frame as the step before (several PDUs per segment)
  kStepShift = 5,          // 3 bits: Step below
};
enum Shape : uint8_t { kAllArgs, kLastArgMissing, kNoData, kExtraArg };
// How far the clock moves before a step (relative to the configured linger and expect times).
enum Step : uint8_t { kSameTime, kMicro, kMilli, kSecond, kPastLinger, kPastExpect, kBackMilli, kBackPastExpect };

// Alphabets: few values, so that packets of one job meet; an index with its top bit set names one
// of 128 more (enough to grow the engine's hash tables and pass its caps).
namespace detail {
inline std::string_view generated(const char* prefix, uint8_t i) {
  struct Names {
    std::string v[128];
    // Handles: the odd ones' numbers far apart, so that the handle index's window grows past
    // its first size and numbers share a slot (gearjobs/handle_index.h).
    explicit Names(const char* p, int spread = 1) {
      for (int k = 0; k < 128; ++k) v[k] = p + std::to_string(k % 2 ? k * spread : k);
    }
  };
  static const Names handles("H:gen:", 1000), functions("fn"), uniques("u-");
  const Names& n = prefix[0] == 'H' ? handles : prefix[0] == 'f' ? functions : uniques;
  return n.v[i & 0x7f];
}
}  // namespace detail
constexpr int kHandleCount = 8;
inline std::string_view handle_value(uint8_t i) {
  static const std::string h63(63, 'h');  // the protocol's longest handle
  static const std::string h64(64, 'h');  // one byte too long: the engine must not track it
  if (i & 0x80) return detail::generated("H", i);
  switch (i % kHandleCount) {
    case 0: return "H:srv:1";
    case 1: return "H:srv:2";
    case 2: return "H:srv:3";
    case 3: return "H:srv:4";
    case 4: return "H:srv:5";
    case 5: return "";
    case 6: return h63;
    default: return h64;
  }
}
constexpr int kFunctionCount = 4;
inline std::string_view function_value(uint8_t i) {
  static const std::string_view v[kFunctionCount] = {"f", "g", "", "reverse"};
  if (i & 0x80) return detail::generated("f", i);
  return v[i % kFunctionCount];
}
constexpr int kUniqueCount = 4;
inline std::string_view unique_value(uint8_t i) {
  static const std::string_view v[kUniqueCount] = {"", "u1", "u2", "-"};
  if (i & 0x80) return detail::generated("u", i);
  return v[i % kUniqueCount];
}
// Every other argument (error codes, numbers, payloads, client ids, options).
constexpr int kMiscCount = 8;
inline std::string_view misc_value(uint8_t i) {
  static const std::string_view v[kMiscCount] = {"", "JOB_NOT_FOUND", "QUEUE_FULL", "1", "0", "payload",
                                                 std::string_view("a\0b", 3), "100"};
  return v[i % kMiscCount];
}
constexpr int kAdminCommandLines = 16;
inline std::string_view admin_command_line(uint8_t i) {
  static const std::string_view v[kAdminCommandLines] = {
      "status", "workers", "show jobs", "show unique jobs", "prioritystatus", "maxqueue f 1",
      "maxqueue f 1 2 3", "cancel job H:srv:1", "version", "getpid", "verbose", "create function f",
      "drop function f", "jobs", "clients", "bogus command"};
  return v[i % kAdminCommandLines];
}
constexpr int kAdminReplyLines = 16;
inline std::string_view admin_reply_line(uint8_t i) {
  static const std::string_view v[kAdminReplyLines] = {
      ".", "OK", "ERR UNKNOWN_COMMAND Unknown+server+command", "f\t1\t0\t1", "f\t0\t1\t2\t1",
      "30 127.0.0.1 - : f g", "H:srv:1\t0\t0\t1", "u1", "1.1.20", "", "OK 4730", "garbage \x01",
      "f\t1", "31 ::1 worker-1 :", "12345", "INFO"};
  return v[i % kAdminReplyLines];
}

// Builds scripts for the seed corpus.
class Script {
 public:
  explicit Script(uint8_t config) { bytes_.push_back(char(config)); }
  static uint8_t config(bool keep_jobs, Caps l, Timing t, bool two_servers) {
    return uint8_t((keep_jobs ? kKeepJobs : 0) | (l << kLimitsShift) | (t << kTimingShift) |
                   (two_servers ? kTwoServers : 0));
  }

  Script& open(int slot, int server) { return rec(kOpen, slot, server); }
  Script& close(int slot, Step s = kMilli) { return rec(kClose, slot, s); }
  // A PDU of `type`; the indices pick from the alphabets above.
  Script& pdu(int slot, uint32_t type, bool to_server, int handle = 0, int function = 0, int unique = 0,
              int misc = 0, Step step = kMilli, Shape shape = kAllArgs, bool other_magic = false,
              bool same_frame = false) {
    const uint8_t flags = uint8_t((to_server ? kToServer : 0) | (other_magic ? kOtherMagic : 0) |
                                  (shape << kShapeShift) | (same_frame ? kSameFrame : 0) | (step << kStepShift));
    return rec(kPdu, slot, type, flags, handle, function, unique, misc);
  }
  Script& admin_command(int slot, int line, Step s = kMilli) { return rec(kAdminCommand, slot, line, s); }
  Script& admin_reply(int slot, int line, Step s = kMilli) { return rec(kAdminReply, slot, line, s); }
  Script& lost_bytes(int slot) { return rec(kLostBytes, slot); }
  // how: 0 forward, 1 back, 2 to a huge time, 3 to a small time; +4: also advance(). The amount is
  // (a | b << 8 | c << 16) << shift nanoseconds.
  Script& clock(int how, uint32_t amount, int shift) {
    return rec(kClock, how, amount & 0xff, (amount >> 8) & 0xff, (amount >> 16) & 0xff, shift);
  }
  Script& advance(Step s) { return rec(kAdvance, s); }
  Script& finish() { return rec(kFinish); }
  Script& reset() { return rec(kReset); }
  Script& stale(int what) { return rec(kStale, what); }

  // Lifecycle shorthands (handle/function/unique indices as above).
  Script& submit(int slot, int function, int unique, uint32_t type = gearproto::SUBMIT_JOB) {
    return pdu(slot, type, true, 0, function, unique, 5);
  }
  Script& created(int slot, int handle) { return pdu(slot, gearproto::JOB_CREATED, false, handle); }
  Script& grab(int slot) { return pdu(slot, gearproto::GRAB_JOB, true); }
  Script& assign(int slot, int handle, int function, int unique = 0, uint32_t type = gearproto::JOB_ASSIGN) {
    return pdu(slot, type, false, handle, function, unique, 5);
  }
  Script& worker_end(int slot, int handle, uint32_t type = gearproto::WORK_COMPLETE, Step s = kMilli) {
    return pdu(slot, type, true, handle, 0, 0, 5, s);
  }
  Script& client_result(int slot, int handle, uint32_t type = gearproto::WORK_COMPLETE, Step s = kMilli) {
    return pdu(slot, type, false, handle, 0, 0, 5, s);
  }
  Script& error(int slot, int code /* misc index */) { return pdu(slot, gearproto::ERROR, false, 0, 0, 0, code); }

  const std::string& bytes() const { return bytes_; }

 private:
  Script& rec(int op, int a = 0, int b = 0, int c = 0, int d = 0, int e = 0, int f = 0, int g = 0) {
    for (int v : {op, a, b, c, d, e, f, g}) bytes_.push_back(char(uint8_t(v)));
    return *this;
  }
  std::string bytes_;
};

}  // namespace enginefuzz
