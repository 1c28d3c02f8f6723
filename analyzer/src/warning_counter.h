// The analyzer's warnings: what it could not read or had to guess, counted by kind (the kinds are
// part of the JSON contract, docs/gearman-analyze.md). The job engine counts its own kinds; the
// report lists both.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gan {

struct Warning {
  std::string kind;
  uint64_t count = 0;
  uint64_t bytes = 0;
  uint64_t first_frame = 0;
  std::string detail;
};

class WarningCounter {
 public:
  // One more of `kind` with `detail` (a kind may have several details, e.g. one per link type).
  void count(const char* kind, uint64_t bytes, const char* detail, uint64_t frame) {
    for (auto& w : list_) {
      if (w.kind == kind && w.detail == detail) { ++w.count; w.bytes += bytes; return; }
    }
    list_.push_back(Warning{kind, 1, bytes, frame, detail});
  }
  // A warning of its own (e.g. a file that could not be read to its end).
  void add(Warning w) { list_.push_back(std::move(w)); }
  const std::vector<Warning>& list() const { return list_; }

 private:
  std::vector<Warning> list_;
};

}  // namespace gan
