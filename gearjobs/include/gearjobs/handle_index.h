// Jobs by (server, handle), for the engine's per-PDU lookups.
//
// Servers number their handles: gearmand and Gearman::Server "H:host:N", abraxas "job:N", N
// counting up. A job is looked up a few times in its life, the last time a second later (when
// its linger ends) after ~20k other jobs: in a hash table every lookup is a miss on a random
// slot, the largest single cost of the job stage (docs/performance.md). Here a job whose handle
// is its server's prefix and a number sits in that server's window at N modulo the window's
// size, so the jobs of one moment are neighbours: creation, assignment, end and close walk a
// few cache lines in order. A handle of another form, or one whose window slot holds a live
// job (a job open far longer than the window spans), goes to a hash table instead.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gearjobs/flat_map.h"
#include "gearjobs/job.h"
#include "gearproto/arguments.h"

namespace gearjobs {

class HandleIndex {
 public:
  // Null when no job of `server` in the index has `handle`.
  Job* find(uint32_t server, gearproto::Bytes handle) const;
  // `j` (server and handle set) must not be in the index, nor another job with its handle.
  void insert(Job* j);
  void erase(Job* j);
  // Asks for the cache line that erase(j) will touch.
  void prefetch(const Job* j) const;
  void clear();

  // Slots of all windows together at most (16 bytes each): memory stays bounded with many
  // servers or jobs that stay open for long.
  static constexpr size_t kSlotBudget = size_t(1) << 19;
  static constexpr size_t kFirstSlots = 1024;

 private:
  struct Entry {
    uint64_t n = 0;
    Job* job = nullptr;
  };
  struct Window {
    std::string prefix;        // the handle before the number; set by the first numbered handle
    std::vector<Entry> slots;  // a power of two
    size_t count = 0;          // jobs in it
  };
  bool grow(Window& w);
  Job* find_hashed(uint32_t server, gearproto::Bytes handle) const;
  Job* find_indexed(uint32_t server, gearproto::Bytes handle) const;

  // The latest jobs inserted, by a hash of their handle's last 8 bytes: a lookup that finds its
  // job here skips reading the number and comparing the prefix (two thirds of a lookup). Only
  // jobs in the index are here (erase takes them out), and a handle names at most one job, so
  // what it finds is what the index would.
  static constexpr unsigned kRecentBits = 10;
  static size_t recent_slot(uint32_t server, gearproto::Bytes handle);  // handle of 8 bytes or more
  Job* recent_[size_t(1) << kRecentBits] = {};

  std::vector<Window> windows_;  // by server number
  size_t window_slots_ = 0;      // slots of all windows (kSlotBudget)
  FlatMap<Job> hashed_;          // the rest, by a hash of (server, handle)
};

}  // namespace gearjobs
