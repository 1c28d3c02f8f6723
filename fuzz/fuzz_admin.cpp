// Admin text: commands, replies parsed for every command kind, and the pairing of the two.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "gearproto/admin.h"

using namespace gearproto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes in = as_bytes(data, size);
  AdminPairing pairing;
  std::string decoded;
  uint64_t seq = 0;
  while (!in.empty()) {
    size_t nl = in.find('\n');
    Bytes line = in.substr(0, nl);
    in.remove_prefix(nl == Bytes::npos ? in.size() : nl + 1);
    // Lines starting with '>' play commands, the others replies.
    if (!line.empty() && line[0] == '>') {
      AdminRequest r = parse_admin_command(line.substr(1));
      if (r.argc > kMaxAdminArgs || r.size_count > 3) abort();
      pairing.on_command(r.command, seq++);
      continue;
    }
    for (int c = 0; c < kAdminCommandCount; ++c) {
      AdminReplyLine l = parse_admin_reply_line(static_cast<AdminCommand>(c), line);
      if (l.kind == ReplyLineKind::WorkerRow) {
        Bytes rest = l.functions;
        while (!next_word(rest).empty()) {
        }
      }
      if (l.kind == ReplyLineKind::Err) decode_plus_text(l.text, decoded);
    }
    AdminReplyLine parsed;
    (void)pairing.on_reply_line(line, parsed);
    if (pairing.pending() < 0 || pairing.pending() > AdminPairing::kMaxPending) abort();
  }
  return 0;
}
