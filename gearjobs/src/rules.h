// The per-packet rules of the engine, split by topic over pairing.cpp and lifecycle.cpp. A friend
// of Engine: the rules read and change its tables.
#pragma once

#include "conn_state.h"
#include "gearjobs/engine.h"

namespace gearjobs {

// An argument, or empty when the packet did not have it (the rules treat both alike).
inline gearproto::Bytes arg(const gearproto::ArgSpans& a, gearproto::Arg k) { return a.get(k); }

struct EngineRules {
  Engine& eng;

  // pairing.cpp
  void pair_simple(Engine::ConnState& c, const PduIn& p, Effect& e);
  void on_error(Engine::ConnState& c, const PduIn& p, Effect& e);

  // lifecycle.cpp
  void on_submit(Engine::ConnState& c, const PduIn& p, Effect& e);
  void on_created(Engine::ConnState& c, const PduIn& p, Effect& e);
  void on_assign(Engine::ConnState& c, const PduIn& p, Effect& e);
  void on_update(Engine::ConnState& c, const PduIn& p, Effect& e);
  void on_worker_terminal(Engine::ConnState& c, const PduIn& p, Effect& e);
  void on_client_result(Engine::ConnState& c, const PduIn& p, Effect& e);
  void on_status(Engine::ConnState& c, const PduIn& p, Effect& e);

  Job* first_seen_at_worker(Engine::ConnState& c, gearproto::Bytes handle, const PduIn& p);
  void take_submit(Job* j, Engine::ConnState& c, const PendingSubmit* s, const PduIn& p);
  void add_waiting(Job* j, Engine::ConnState& c);
  bool remove_waiting(Job* j, Engine::ConnState& c);
  void accept_bare_terminal(Job* j);
  void set_function(Job* j, gearproto::Bytes name, uint64_t frame);
  void set_unique(Job* j, gearproto::Bytes unique);
};

}  // namespace gearjobs
