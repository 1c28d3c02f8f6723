// The text admin protocol: commands typed by operators (gearadmin, telnet, nc) and gearmand's
// replies. A reply's shape depends on the command it answers, so replies are read through
// AdminPairing, which applies the pairing rule: commands on a connection are answered in order.
#pragma once

#include <cstdint>
#include <string>

#include "gearproto/bytes.h"

namespace gearproto {

enum class AdminCommand : uint8_t {
  Workers, Status, PriorityStatus, MaxQueue, CancelJob, ShowJobs, ShowUniqueJobs,
  CreateFunction, DropFunction, GetPid, Verbose, Version, Shutdown,
  Jobs, Clients,  // Perl Gearman::Server only
  Unknown,
};
constexpr int kAdminCommandCount = static_cast<int>(AdminCommand::Unknown) + 1;
const char* admin_command_name(AdminCommand c);  // canonical words: "show unique jobs", "unknown"

enum AdminDefect : uint32_t {
  kAdminNone = 0,
  kAdminUnknownCommand = 1u << 0,
  kAdminBadArguments = 1u << 1,  // wrong number of arguments or a size that is not a number
};

constexpr int kMaxAdminArgs = 4;

struct AdminRequest {
  AdminCommand command = AdminCommand::Unknown;
  Bytes verb;                  // the command words as typed ("SHOW  jobs" keeps its case)
  Bytes args[kMaxAdminArgs];   // words after the command words
  uint8_t argc = 0;
  uint8_t extra_words = 0;     // words beyond kMaxAdminArgs (not stored)
  int64_t sizes[3] = {0, 0, 0};  // maxqueue: the queue sizes given (0, 1 or 3)
  uint8_t size_count = 0;
  uint32_t defects = 0;
};

// Parses one command line (without its line ending). Case-insensitive, any run of spaces or tabs
// separates words. Never allocates.
AdminRequest parse_admin_command(Bytes line);

// True for commands only Gearman speaks. memcached also has `version`, `verbose` and `shutdown`,
// and `getpid` is a generic word, so a heuristic must not take a connection for Gearman on those.
bool admin_command_is_distinctive(AdminCommand c);

// True when `partial` (a line whose newline has not arrived yet) may still become a distinctive
// command: its words so far are the start of one ("stat", "show uni", "maxqueue fn 1"). For a
// heuristic that waits for the rest of a line rather than deciding on half a word.
bool admin_line_may_become_distinctive(Bytes partial);

// Replies come as one line, or as a list of lines that ends with ".". An unknown command's reply
// is read by its first line: OK or ERR is the whole reply (gearmand and Gearman::Server both
// refuse unknown commands with one ERR line), anything else starts a list.
enum class ReplyShape : uint8_t { SingleLine, List, ByFirstLine };
ReplyShape reply_shape(AdminCommand c);

enum class ReplyLineKind : uint8_t {
  End,                // "." ends a list
  Ok,                 // "OK" [text]
  Err,                // "ERR" code [text, '+' for spaces]
  StatusRow,          // function \t total \t running \t workers
  PriorityStatusRow,  // function \t high \t normal \t low \t workers
  WorkerRow,          // fd address client-id : function ...
  JobRow,             // handle \t retries \t ignore_job \t job_queued   (show jobs)
  UniqueRow,          // unique ID                                       (show unique jobs)
  ListRow,            // a row of a list whose columns are not decoded (Gearman::Server's jobs and
                      // clients; rows answering unknown commands are Text)
  Text,               // a single line with no OK/ERR (e.g. Perl Gearman::Server's version)
  Malformed,          // a row that does not fit the shape its command asks for
};
const char* reply_line_kind_name(ReplyLineKind k);

struct AdminReplyLine {
  ReplyLineKind kind = ReplyLineKind::Malformed;
  Bytes line;          // the whole line, without line ending
  Bytes name;          // status rows: function; job row: handle; unique row: unique ID
  uint64_t counts[4] = {0, 0, 0, 0};  // status: total, running, workers; prioritystatus: high,
                                      // normal, low, workers; job row: retries, ignore, queued
  uint8_t count_n = 0;
  // workers rows
  int64_t fd = -1;
  Bytes address, client_id;
  Bytes functions;     // space-separated function names (may be empty); iterate with next_word
  // OK / ERR
  Bytes code;          // ERR code
  Bytes text;          // OK: rest of the line; ERR: the text, still '+'-escaped
};

// Parses a reply line as an answer to `asked`. With AdminCommand::Unknown (no command seen, e.g.
// a capture that starts mid-reply) the line's own shape decides.
AdminReplyLine parse_admin_reply_line(AdminCommand asked, Bytes line);

// gearmand writes spaces in ERR text as '+'. Writes the decoded text to `out`.
void decode_plus_text(Bytes escaped, std::string& out);
// The same into a caller's buffer of at least escaped.size() bytes; returns the length.
size_t decode_plus_text(Bytes escaped, char* out);

// Next space-separated word of `rest`, advancing it; empty when none is left.
Bytes next_word(Bytes& rest);

// Pairs replies with commands on one connection. Bounded: at most kMaxPending unanswered commands
// are remembered; older ones are dropped and counted.
class AdminPairing {
 public:
  static constexpr int kMaxPending = 64;

  struct Pair {
    bool matched = false;        // false: no command was waiting (reply without request)
    AdminCommand command = AdminCommand::Unknown;
    uint64_t command_seq = 0;    // caller's id of the command (e.g. frame number), from on_command
    bool first_line = false;     // first line of its reply
    bool last_line = false;      // this line completes the reply
  };

  void on_command(AdminCommand c, uint64_t seq);
  // Classifies `line` as part of the reply to the oldest unanswered command.
  Pair on_reply_line(Bytes line, AdminReplyLine& parsed);

  int pending() const { return count_; }
  uint64_t dropped() const { return dropped_; }

 private:
  struct Entry { AdminCommand command; uint64_t seq; bool started; };
  Entry ring_[kMaxPending] = {};
  int head_ = 0;
  int count_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace gearproto
