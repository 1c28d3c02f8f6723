// Function names interned once: jobs, submits and statistics carry a FunctionId, not a string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gearjobs/hash.h"
#include "gearjobs/job.h"
#include "gearproto/bytes.h"

namespace gearjobs {

class FunctionTable {
 public:
  FunctionId intern(std::string_view name) {
    uint64_t h = hash(name);
    // Submits name a few functions over and over: a small cache in front of the map.
    Cached& c = cache_[h & (kCache - 1)];
    if (c.hash == h && c.id < names_.size() && gearproto::same_bytes(names_[c.id], name)) return c.id;
    const FunctionId id = lookup(name, h);
    c = Cached{h, id};
    return id;
  }
  const std::string& name(FunctionId id) const { return id < names_.size() ? names_[id] : unknown_; }
  size_t size() const { return names_.size(); }
  void clear() {
    names_.clear();
    by_hash_.clear();
    for (Cached& c : cache_) c = Cached{};
  }

 private:
  static constexpr size_t kCache = 16;
  struct Cached { uint64_t hash = 0; FunctionId id = kNoFunction; };
  FunctionId lookup(std::string_view name, uint64_t h) {
    for (;; ++h) {
      auto it = by_hash_.find(h);
      if (it == by_hash_.end()) {
        names_.emplace_back(name);
        by_hash_.emplace(h, FunctionId(names_.size() - 1));
        return FunctionId(names_.size() - 1);
      }
      if (names_[it->second] == name) return it->second;
    }
  }
  static uint64_t hash(std::string_view s) { return hash_bytes(s.data(), s.size(), 0x9E3779B97F4A7C15ull ^ s.size()); }
  std::vector<std::string> names_;
  std::unordered_map<uint64_t, FunctionId> by_hash_;
  std::string unknown_ = "(unknown)";
  Cached cache_[kCache];
};

}  // namespace gearjobs
