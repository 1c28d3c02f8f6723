// The job table: jobs by (server, handle) (handle_index.h), by first sight, a unique-ID index
// made on first use, and the pool of Job objects (reused when the engine does not keep them).

#include <cstring>

#include "conn_state.h"
#include "gearjobs/engine.h"
#include "gearjobs/hash.h"
#include "string_copy.h"

namespace gearjobs {

namespace {

uint64_t unique_key(uint32_t server, gearproto::Bytes s) {
  return server_key(server, s.data(), s.size(), 0x5bd1e995);
}

}  // namespace

Job* Engine::find(uint32_t server, gearproto::Bytes handle) const { return handles_.find(server, handle); }

Job* Engine::find_by_unique(uint32_t server, gearproto::Bytes unique) {
  if (unique.empty()) return nullptr;
  if (!unique_indexed_) {
    // Only GET_STATUS_UNIQUE / STATUS_RES_UNIQUE ask by unique ID, and few captures have them:
    // the index is built when first asked, from the jobs in the table, and kept from then on.
    unique_indexed_ = true;
    for (Job* j = oldest_; j; j = j->newer) index_unique(j);
  }
  for (uint64_t k = unique_key(server, unique);; ++k) {
    Job* j = unique_index_.find(k);
    if (!j) return nullptr;
    if (j->server == server && gearproto::same_bytes(j->unique, unique)) return j;
  }
}

// Jobs of one server with the same unique ID (gearmand keeps them per function) are a chain from
// the index entry, the latest first: it answers a query, and when it closes the next one does.
void Engine::index_unique(Job* j) {
  if (!unique_indexed_ || j->unique.empty()) return;
  for (uint64_t k = unique_key(j->server, j->unique);; ++k) {
    Job* o = unique_index_.find(k);
    if (!o || (o->server == j->server && gearproto::same_bytes(o->unique, j->unique))) {
      j->unique_next = o;
      unique_index_.put(k, j);
      return;
    }
  }
}

void Engine::unindex_unique(Job* j) {
  if (!unique_indexed_ || j->unique.empty()) return;
  for (uint64_t k = unique_key(j->server, j->unique);; ++k) {
    Job* o = unique_index_.find(k);
    if (!o) return;
    if (o->server != j->server || o->unique != j->unique) continue;
    if (o == j) {
      if (j->unique_next) unique_index_.put(k, j->unique_next);
      else unique_index_.erase(k);
    } else {
      while (o->unique_next && o->unique_next != j) o = o->unique_next;
      if (o->unique_next == j) o->unique_next = j->unique_next;
    }
    j->unique_next = nullptr;
    return;
  }
}

Job* Engine::new_job(uint32_t srv, gearproto::Bytes handle, uint64_t frame) {
  if (opt_.max_open_jobs && in_table_ >= opt_.max_open_jobs && oldest_) {
    warnings_.add(WarningKind::OpenJobsCap, frame);
    close(oldest_, true);
  }
  Job* j;
  if (!free_jobs_.empty()) {
    j = free_jobs_.back();
    free_jobs_.pop_back();
    j->clear_for_reuse();  // keeps the strings' capacity: no allocation per job once warm
  } else {
    store_.emplace_back();
    j = &store_.back();
  }
  j->id = next_job_id_++;
  j->server = srv;
  copy_bytes(j->handle, handle);
  handles_.insert(j);
  j->older = newest_;
  j->newer = nullptr;
  (newest_ ? newest_->newer : oldest_) = j;
  newest_ = j;
  ++in_table_;
  return j;
}

void Engine::add_servers(uint32_t up_to) { servers_.resize(size_t(up_to) + 1); }

void Engine::unlink_awaiting(Job* j) {
  if (!j->awaiting_created) return;
  ServerState& s = server(j->server);
  (j->prev_awaiting ? j->prev_awaiting->next_awaiting : s.awaiting) = j->next_awaiting;
  if (j->next_awaiting) j->next_awaiting->prev_awaiting = j->prev_awaiting;
  j->next_awaiting = j->prev_awaiting = nullptr;
  j->awaiting_created = false;
}

}  // namespace gearjobs
