// Which end of a TCP connection is the Gearman server: the one rule both front ends apply (the
// plugin per conversation, the analyzer per connection).
#pragma once

#include <cstdint>

#include "gearproto/bytes.h"
#include "gearproto/framer.h"

namespace gearproto {

enum class ServerSide : uint8_t {
  Sender,      // the sender of the segment at hand is the server
  Receiver,    // its receiver is
  NotGearman,  // not a Gearman connection
  Undecided,   // no payload yet, or too few bytes to tell: ask again with the next segment
};

struct SideHints {
  bool sender_port_listed = false;    // the sender's port is a Gearman port (4730, or configured)
  bool receiver_port_listed = false;
  // Who opened the connection, when its SYN was seen: the side that received the SYN is the server.
  enum Opening : uint8_t { Unknown, SenderOpened, ReceiverOpened } opening = Unknown;
  Bytes payload;                      // the segment's payload (may be empty)
  bool heuristic = true;              // may an unlisted port be Gearman by its first bytes?
};

// 1. Exactly one port listed: that side. 2. Both listed: the side that received the SYN, else the
// side the first bytes say (`\0RES` comes from the server, requests and admin commands go to it),
// else the receiver. 3. Neither: with the heuristic, the first bytes decide as in 2
// (classify_stream_start); without it, not Gearman.
ServerSide decide_server_side(const SideHints& h, const Limits& limits);

}  // namespace gearproto
