// Per-conversation state: created on a connection's first PDU, and which endpoint is the server.

#include "gearman_plugin.h"

#include <epan/conversation.h>

#include "gearproto/server_side.h"

namespace gearman_plugin {

namespace {

bool port_is_gearman(guint32 port) {
  range_t* r = prefs_get_range_value("gearman", "tcp.port");
  if (r) return value_is_in_range(r, port);
  return port == kGearmanPort;
}

}  // namespace

ConvData* get_conv(packet_info* pinfo) {
  conversation_t* conv = find_or_create_conversation(pinfo);
  ConvData* cd = static_cast<ConvData*>(conversation_get_proto_data(conv, proto_gearman));
  if (!cd) {
    cd = wmem_new0(wmem_file_scope(), ConvData);
    conversation_add_proto_data(conv, proto_gearman, cd);
  }
  return cd;
}

// Decides once per conversation which endpoint is the server, by the rule the analyzer applies
// too (gearproto::decide_server_side): the Gearman port, else what the first bytes are.
void learn_server(ConvData* cd, packet_info* pinfo, Bytes first_bytes) {
  if (cd->server_known) return;
  gearproto::SideHints h;
  h.sender_port_listed = port_is_gearman(pinfo->srcport);
  h.receiver_port_listed = port_is_gearman(pinfo->destport);
  h.payload = first_bytes;
  h.heuristic = true;  // the dissector runs on this conversation: it is Gearman, only the side is asked
  const bool dst_is_server = gearproto::decide_server_side(h, limits) != gearproto::ServerSide::Sender;
  if (dst_is_server) {
    copy_address_wmem(wmem_file_scope(), &cd->server_addr, &pinfo->dst);
    cd->server_port = pinfo->destport;
  } else {
    copy_address_wmem(wmem_file_scope(), &cd->server_addr, &pinfo->src);
    cd->server_port = pinfo->srcport;
  }
  cd->server_known = true;
}

bool to_server(const ConvData* cd, packet_info* pinfo) {
  return pinfo->destport == cd->server_port && addresses_equal(&pinfo->dst, &cd->server_addr);
}

}  // namespace gearman_plugin
