#include "gearproto/server_side.h"

#include "gearproto/resync.h"

namespace gearproto {

namespace {

// The side the first bytes name: `\0RES` is sent by the server; `\0REQ` and admin commands are
// sent to it. Too few bytes to tell: ask again with more.
ServerSide by_bytes(Bytes payload, const Limits& limits) {
  switch (classify_stream_prefix(payload, limits).verdict) {
    case StreamStart::Binary:
      return payload[3] == 'S' ? ServerSide::Sender : ServerSide::Receiver;
    case StreamStart::AdminText:
      return ServerSide::Receiver;
    case StreamStart::NeedMore:
      return ServerSide::Undecided;
    case StreamStart::No:
      break;
  }
  return ServerSide::NotGearman;
}

}  // namespace

ServerSide decide_server_side(const SideHints& h, const Limits& limits) {
  if (h.sender_port_listed != h.receiver_port_listed)
    return h.sender_port_listed ? ServerSide::Sender : ServerSide::Receiver;
  if (h.sender_port_listed) {  // both: a connection between two Gearman ports
    if (h.opening == SideHints::SenderOpened) return ServerSide::Receiver;
    if (h.opening == SideHints::ReceiverOpened) return ServerSide::Sender;
    if (!h.payload.empty()) {
      ServerSide s = by_bytes(h.payload, limits);
      if (s == ServerSide::Sender || s == ServerSide::Receiver) return s;
      return h.payload[0] == '\0' && h.payload.size() >= 4 && h.payload[3] == 'S' ? ServerSide::Sender
                                                                                     : ServerSide::Receiver;
    }
    return ServerSide::Receiver;
  }
  if (!h.heuristic) return ServerSide::NotGearman;
  if (h.payload.empty()) return ServerSide::Undecided;
  return by_bytes(h.payload, limits);
}

}  // namespace gearproto
