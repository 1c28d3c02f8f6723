// Per-conversation state: created on a connection's first PDU, and which endpoint is the server.

#include "gearman_plugin.h"

#include <epan/conversation.h>

#include <new>

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
    cd->submits = wmem_list_new(wmem_file_scope());
    cd->grabs = wmem_list_new(wmem_file_scope());
    cd->sleeps = wmem_list_new(wmem_file_scope());
    cd->echoes = wmem_list_new(wmem_file_scope());
    cd->statuses = wmem_list_new(wmem_file_scope());
    cd->options = wmem_list_new(wmem_file_scope());
    void* mem = wmem_alloc0(wmem_file_scope(), sizeof(gearproto::AdminPairing));
    cd->admin = new (mem) gearproto::AdminPairing();  // trivially destructible: never destroyed
    cd->admin_cmds = wmem_map_new(wmem_file_scope(), g_direct_hash, g_direct_equal);
    conversation_add_proto_data(conv, proto_gearman, cd);
  }
  return cd;
}

// Decides once per conversation which endpoint is the server.
void learn_server(ConvData* cd, packet_info* pinfo, bool looks_like_request) {
  if (cd->server_known) return;
  bool dst_is_server;
  if (port_is_gearman(pinfo->destport) && !port_is_gearman(pinfo->srcport)) dst_is_server = true;
  else if (port_is_gearman(pinfo->srcport) && !port_is_gearman(pinfo->destport)) dst_is_server = false;
  else dst_is_server = looks_like_request;
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
