#include "gearproto/admin.h"

#include <cctype>

#include "gearproto/arguments.h"

namespace gearproto {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

bool iequals(Bytes a, const char* b) {
  size_t i = 0;
  for (; i < a.size(); ++i) {
    if (b[i] == '\0') return false;
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
  }
  return b[i] == '\0';
}

// Next word separated by spaces or tabs.
Bytes next_token(Bytes& rest) {
  size_t i = 0;
  while (i < rest.size() && is_space(rest[i])) ++i;
  size_t j = i;
  while (j < rest.size() && !is_space(rest[j])) ++j;
  Bytes w = rest.substr(i, j - i);
  rest.remove_prefix(j);
  return w;
}

struct CommandWords {
  AdminCommand command;
  const char* words[3];
  int n;
};
constexpr CommandWords kCommands[] = {
  {AdminCommand::Workers, {"workers"}, 1},
  {AdminCommand::Status, {"status"}, 1},
  {AdminCommand::PriorityStatus, {"prioritystatus"}, 1},
  {AdminCommand::MaxQueue, {"maxqueue"}, 1},
  {AdminCommand::CancelJob, {"cancel", "job"}, 2},
  {AdminCommand::ShowUniqueJobs, {"show", "unique", "jobs"}, 3},
  {AdminCommand::ShowJobs, {"show", "jobs"}, 2},
  {AdminCommand::CreateFunction, {"create", "function"}, 2},
  {AdminCommand::DropFunction, {"drop", "function"}, 2},
  {AdminCommand::GetPid, {"getpid"}, 1},
  {AdminCommand::Verbose, {"verbose"}, 1},
  {AdminCommand::Version, {"version"}, 1},
  {AdminCommand::Shutdown, {"shutdown"}, 1},
  {AdminCommand::Jobs, {"jobs"}, 1},
  {AdminCommand::Clients, {"clients"}, 1},
};

// Argument counts each command accepts (gearmand's server_admin.cc).
bool arguments_fit(AdminRequest& r) {
  switch (r.command) {
    case AdminCommand::MaxQueue: {
      if (r.argc != 1 && r.argc != 2 && r.argc != 4) return false;
      for (uint8_t i = 1; i < r.argc; ++i) {
        auto v = parse_signed_decimal(r.args[i]);
        if (!v) return false;
        r.sizes[r.size_count++] = *v;
      }
      return true;
    }
    case AdminCommand::CancelJob:
    case AdminCommand::CreateFunction:
    case AdminCommand::DropFunction: return r.argc == 1;
    case AdminCommand::Shutdown: return r.argc == 0 || (r.argc == 1 && iequals(r.args[0], "graceful"));
    case AdminCommand::Verbose: return r.argc <= 1;
    default: return r.argc == 0;
  }
}

}  // namespace

const char* admin_command_name(AdminCommand c) {
  switch (c) {
    case AdminCommand::Workers: return "workers";
    case AdminCommand::Status: return "status";
    case AdminCommand::PriorityStatus: return "prioritystatus";
    case AdminCommand::MaxQueue: return "maxqueue";
    case AdminCommand::CancelJob: return "cancel job";
    case AdminCommand::ShowJobs: return "show jobs";
    case AdminCommand::ShowUniqueJobs: return "show unique jobs";
    case AdminCommand::CreateFunction: return "create function";
    case AdminCommand::DropFunction: return "drop function";
    case AdminCommand::GetPid: return "getpid";
    case AdminCommand::Verbose: return "verbose";
    case AdminCommand::Version: return "version";
    case AdminCommand::Shutdown: return "shutdown";
    case AdminCommand::Jobs: return "jobs";
    case AdminCommand::Clients: return "clients";
    case AdminCommand::Unknown: break;
  }
  return "unknown";
}

const char* reply_line_kind_name(ReplyLineKind k) {
  switch (k) {
    case ReplyLineKind::End: return "end of list";
    case ReplyLineKind::Ok: return "OK";
    case ReplyLineKind::Err: return "ERR";
    case ReplyLineKind::StatusRow: return "status row";
    case ReplyLineKind::PriorityStatusRow: return "prioritystatus row";
    case ReplyLineKind::WorkerRow: return "workers row";
    case ReplyLineKind::JobRow: return "show jobs row";
    case ReplyLineKind::UniqueRow: return "show unique jobs row";
    case ReplyLineKind::ListRow: return "list row";
    case ReplyLineKind::Text: return "text";
    case ReplyLineKind::Malformed: return "malformed";
  }
  return "?";
}

Bytes next_word(Bytes& rest) { return next_token(rest); }

AdminRequest parse_admin_command(Bytes line) {
  AdminRequest r;
  Bytes rest = line;
  Bytes words[3];
  for (Bytes& w : words) w = next_token(rest);  // at most three command words
  for (const CommandWords& c : kCommands) {
    bool match = true;
    for (int i = 0; i < c.n && match; ++i) match = iequals(words[i], c.words[i]);
    if (!match) continue;
    r.command = c.command;
    // Re-tokenise from the start to find where the command words end.
    Bytes after = line;
    const char* verb_begin = nullptr;
    const char* verb_end = nullptr;
    for (int i = 0; i < c.n; ++i) {
      Bytes w = next_token(after);
      if (i == 0) verb_begin = w.data();
      verb_end = w.data() + w.size();
    }
    r.verb = Bytes(verb_begin, static_cast<size_t>(verb_end - verb_begin));
    for (Bytes w = next_token(after); !w.empty(); w = next_token(after)) {
      if (r.argc < kMaxAdminArgs) r.args[r.argc++] = w;
      else ++r.extra_words;
    }
    if (r.extra_words || !arguments_fit(r)) r.defects |= kAdminBadArguments;
    return r;
  }
  r.verb = words[0];
  r.defects |= kAdminUnknownCommand;
  return r;
}

bool admin_command_is_distinctive(AdminCommand c) {
  switch (c) {
    case AdminCommand::Version:
    case AdminCommand::Verbose:
    case AdminCommand::Shutdown:
    case AdminCommand::GetPid:
    case AdminCommand::Jobs:
    case AdminCommand::Clients:
    case AdminCommand::Unknown: return false;
    default: return true;
  }
}

bool admin_line_may_become_distinctive(Bytes partial) {
  if (partial.size() > 256) return false;  // command lines are short
  for (char c : partial)
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\r') return false;
  for (const CommandWords& cw : kCommands) {
    if (!admin_command_is_distinctive(cw.command)) continue;
    Bytes rest = partial;
    bool fits = true;
    for (int w = 0; w < cw.n && fits; ++w) {
      Bytes word = next_token(rest);
      if (word.empty()) return true;  // nothing typed yet past the words that fit
      if (rest.empty()) {             // the last word so far may be cut: a prefix will do
        const char* full = cw.words[w];
        if (word.size() > std::char_traits<char>::length(full)) { fits = false; break; }
        for (size_t i = 0; i < word.size(); ++i)
          if (std::tolower(static_cast<unsigned char>(word[i])) != full[i]) { fits = false; break; }
        if (fits) return true;
        break;
      }
      fits = iequals(word, cw.words[w]);
    }
    if (fits) return true;  // every command word typed: arguments follow
  }
  return false;
}

ReplyShape reply_shape(AdminCommand c) {
  switch (c) {
    case AdminCommand::Workers:
    case AdminCommand::Status:
    case AdminCommand::PriorityStatus:
    case AdminCommand::ShowJobs:
    case AdminCommand::ShowUniqueJobs:
    case AdminCommand::Jobs:
    case AdminCommand::Clients: return ReplyShape::List;
    case AdminCommand::Unknown: return ReplyShape::ByFirstLine;
    default: return ReplyShape::SingleLine;
  }
}

namespace {

// Splits on tabs into at most `max` fields; returns how many there were (more than max = max+1).
int split_tabs(Bytes line, Bytes* out, int max) {
  int n = 0;
  size_t start = 0;
  for (size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == '\t') {
      if (n == max) return max + 1;
      out[n++] = line.substr(start, i - start);
      start = i + 1;
    }
  }
  return n;
}

bool parse_counts_row(Bytes line, int numbers, ReplyLineKind kind, AdminReplyLine& r) {
  Bytes f[6];
  if (split_tabs(line, f, 6) != numbers + 1) return false;
  for (int i = 0; i < numbers; ++i) {
    auto v = parse_decimal(f[i + 1]);
    if (!v) return false;
    r.counts[i] = *v;
  }
  r.count_n = static_cast<uint8_t>(numbers);
  r.name = f[0];
  r.kind = kind;
  return true;
}

// "FD IP-ADDRESS CLIENT-ID : FUNCTION ..."
bool parse_worker_row(Bytes line, AdminReplyLine& r) {
  Bytes rest = line;
  Bytes fd = next_token(rest);
  Bytes addr = next_token(rest);
  Bytes id = next_token(rest);
  Bytes colon = next_token(rest);
  auto fdv = parse_signed_decimal(fd);
  if (!fdv || addr.empty() || id.empty() || colon != ":") return false;
  while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
  r.fd = *fdv;
  r.address = addr;
  r.client_id = id;
  r.functions = rest;
  r.kind = ReplyLineKind::WorkerRow;
  return true;
}

bool parse_ok_err(Bytes line, AdminReplyLine& r) {
  Bytes rest = line;
  Bytes first = next_token(rest);
  if (first == "OK") {
    while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
    r.kind = ReplyLineKind::Ok;
    r.text = rest;
    return true;
  }
  if (first == "ERR") {
    r.kind = ReplyLineKind::Err;
    r.code = next_token(rest);
    while (!rest.empty() && is_space(rest.front())) rest.remove_prefix(1);
    r.text = rest;
    return true;
  }
  return false;
}

bool parse_row_for(AdminCommand asked, Bytes line, AdminReplyLine& r) {
  switch (asked) {
    case AdminCommand::Status: return parse_counts_row(line, 3, ReplyLineKind::StatusRow, r);
    case AdminCommand::PriorityStatus: return parse_counts_row(line, 4, ReplyLineKind::PriorityStatusRow, r);
    case AdminCommand::ShowJobs: return parse_counts_row(line, 3, ReplyLineKind::JobRow, r);
    case AdminCommand::Workers: return parse_worker_row(line, r);
    case AdminCommand::ShowUniqueJobs:
      r.kind = ReplyLineKind::UniqueRow;
      r.name = line;
      return true;
    case AdminCommand::Jobs:     // function \t unique \t worker address or "-" \t listeners
    case AdminCommand::Clients:  // address, then \t function \t unique \t worker per job
      r.kind = ReplyLineKind::ListRow;
      r.name = line;
      return true;
    default: return false;
  }
}

}  // namespace

AdminReplyLine parse_admin_reply_line(AdminCommand asked, Bytes line) {
  AdminReplyLine r;
  r.line = line;
  if (line == ".") {
    r.kind = ReplyLineKind::End;
    return r;
  }
  if (parse_ok_err(line, r)) return r;
  if (asked == AdminCommand::Unknown) {
    // No command to go by (or one we do not know): try the row shapes from the most specific.
    if (parse_worker_row(line, r)) return r;
    if (parse_counts_row(line, 4, ReplyLineKind::PriorityStatusRow, r)) return r;
    if (parse_counts_row(line, 3, ReplyLineKind::StatusRow, r)) return r;
    r.kind = ReplyLineKind::Text;
    return r;
  }
  if (reply_shape(asked) == ReplyShape::List) {
    if (!parse_row_for(asked, line, r)) r.kind = ReplyLineKind::Malformed;
    return r;
  }
  r.kind = ReplyLineKind::Text;
  return r;
}

size_t decode_plus_text(Bytes escaped, char* out) {
  for (size_t i = 0; i < escaped.size(); ++i) out[i] = escaped[i] == '+' ? ' ' : escaped[i];
  return escaped.size();
}

void decode_plus_text(Bytes escaped, std::string& out) {
  out.resize(escaped.size());
  decode_plus_text(escaped, out.data());
}

void AdminPairing::on_command(AdminCommand c, uint64_t seq) {
  if (count_ == kMaxPending) {
    head_ = (head_ + 1) % kMaxPending;
    --count_;
    ++dropped_;
  }
  ring_[(head_ + count_) % kMaxPending] = Entry{c, seq, false};
  ++count_;
}

AdminPairing::Pair AdminPairing::on_reply_line(Bytes line, AdminReplyLine& parsed) {
  Pair p;
  if (count_ == 0) {
    parsed = parse_admin_reply_line(AdminCommand::Unknown, line);
    p.first_line = true;
    p.last_line = parsed.kind != ReplyLineKind::StatusRow && parsed.kind != ReplyLineKind::PriorityStatusRow &&
                  parsed.kind != ReplyLineKind::WorkerRow;
    return p;
  }
  Entry& e = ring_[head_];
  p.matched = true;
  p.command = e.command;
  p.command_seq = e.seq;
  p.first_line = !e.started;
  parsed = parse_admin_reply_line(e.command, line);
  // A list ends with "."; an ERR before any row is the whole reply (e.g. a refused command).
  switch (reply_shape(e.command)) {
    case ReplyShape::SingleLine: p.last_line = true; break;
    case ReplyShape::List:
      p.last_line = parsed.kind == ReplyLineKind::End || (p.first_line && parsed.kind == ReplyLineKind::Err);
      break;
    case ReplyShape::ByFirstLine:
      p.last_line = parsed.kind == ReplyLineKind::End ||
                    (p.first_line && (parsed.kind == ReplyLineKind::Err || parsed.kind == ReplyLineKind::Ok));
      break;
  }
  e.started = true;
  if (p.last_line) {
    head_ = (head_ + 1) % kMaxPending;
    --count_;
  }
  return p;
}

}  // namespace gearproto
