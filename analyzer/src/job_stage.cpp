#include "job_stage.h"

#include "gearproto/admin.h"

namespace gan {

JobStage::JobStage(const Options& o)
    : engine_(engine_options(o)), stats_(engine_, totals_, *this, o.top) {
  engine_.set_sink(&stats_);
}

JobStage::~JobStage() = default;

JobStage::ConnInfo& JobStage::info(Slot s) {
  if (s >= slots_.size()) slots_.resize(s + 1);
  if (!slots_[s]) slots_[s] = std::make_unique<ConnInfo>();
  return *slots_[s];
}

Peer* JobStage::peer(uint64_t serial) { return by_serial_.find(serial); }

void JobStage::open(const OpenEvent& e) {
  if (e.new_server) stats_.add_server(endpoint_string(e.server_end));
  ConnInfo& c = info(e.slot);
  c.peer = Peer{};
  c.peer.serial = e.serial;
  c.peer.server = e.server;
  c.peer.endpoint = e.peer_end;
  c.open = true;
  c.engine = engine_.open_conn(e.server, e.serial);
  by_serial_.put(e.serial, &c.peer);
}

void JobStage::close(Slot s, int64_t t) {
  ConnInfo& c = info(s);
  stats_.on_closed(c.peer);
  engine_.close_conn(c.engine, t);
  c.engine = gearjobs::ConnRef{};
}

void JobStage::forget(Slot s) {
  ConnInfo& c = info(s);
  by_serial_.erase(c.peer.serial);
  c.open = false;
}

void JobStage::lost(Slot s, uint64_t frame) { engine_.lost_bytes(info(s).engine, frame); }

void JobStage::pdu(const PduEvent& e) {
  ConnInfo& c = *slots_[e.slot];
  gearjobs::PduIn in;
  in.to_server = e.to_server;
  in.frame = e.frame;
  in.t = e.t;
  in.header = &e.header;
  in.args = e.args;
  if (e.args->defects & (gearproto::kMissingArguments | gearproto::kEmptyRequired))
    warnings_.count("malformed_arguments", 0, "PDUs whose arguments do not fit their type", e.frame);
  const gearjobs::Effect eff = engine_.on_binary(c.engine, in);
  stats_.on_pdu(c.peer, e.to_server, e.header.type, *e.args, eff, e.t);
}

void JobStage::line(const LineEvent& e) {
  using namespace gearproto;
  ConnInfo& c = info(e.slot);
  if (e.to_server) {
    const AdminRequest r = parse_admin_command(e.line);
    engine_.on_admin_command(c.engine, r, e.frame, e.t, 0);
    return;
  }
  AdminReplyLine reply;
  engine_.on_admin_reply(c.engine, e.line, reply, e.frame, e.t);
  stats_.on_admin_reply(reply);
}

void JobStage::finish() { engine_.finish(); }

}  // namespace gan
