// A connection's requests that wait for their answers, oldest first: a ring that grows to a
// bound and reuses its slots (their strings keep their capacity: no allocation per request once
// warm). At the bound, the oldest request is dropped to make room.
#pragma once

#include <cstddef>
#include <vector>

namespace gearjobs {

template <typename T>
class RequestQueue {
 public:
  bool empty() const { return n_ == 0; }
  size_t size() const { return n_; }
  T& front() { return buf_[head_]; }
  const T& front() const { return buf_[head_]; }
  void pop_front() {
    head_ = head_ + 1 == buf_.size() ? 0 : head_ + 1;
    --n_;
  }
  // A slot at the back; it keeps its previous contents' capacity, so assign every field.
  T& push_back() {
    if (n_ == buf_.size()) grow();
    size_t i = head_ + n_;
    if (i >= buf_.size()) i -= buf_.size();
    ++n_;
    return buf_[i];
  }
  void clear() { head_ = 0; n_ = 0; }

 private:
  void grow() {
    std::vector<T> nb(buf_.empty() ? 4 : buf_.size() * 2);
    for (size_t i = 0; i < n_; ++i) nb[i] = std::move(buf_[(head_ + i) % buf_.size()]);
    buf_.swap(nb);
    head_ = 0;
  }
  std::vector<T> buf_;
  size_t head_ = 0, n_ = 0;
};

}  // namespace gearjobs
