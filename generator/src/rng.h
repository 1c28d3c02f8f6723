// gearman-gen's random numbers: its own generator and transforms, so that a seed gives the same
// bytes on every build and library (no std:: distributions).
#pragma once

#include <cmath>
#include <cstdint>

#include "geargen/generator.h"

namespace geargen {

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& v : s_) {  // splitmix64
      seed += 0x9e3779b97f4a7c15ull;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      v = z ^ (z >> 31);
    }
  }
  uint64_t next() {  // xoshiro256**
    uint64_t r = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0]; s_[3] ^= s_[1]; s_[1] ^= s_[2]; s_[0] ^= s_[3];
    s_[2] ^= t; s_[3] = rotl(s_[3], 45);
    return r;
  }
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  bool chance(double p) { return p > 0 && uniform() < p; }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
  uint64_t between(uint64_t lo, uint64_t hi) { return lo + below(hi - lo + 1); }
  double normal() {
    double u1 = uniform(), u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  // Lognormal draw in microseconds, at least lo_us, at most 10 minutes.
  uint64_t lognormal_us(const Dist& d, uint64_t lo_us) {
    double ms = d.median_ms * std::exp(d.sigma * normal());
    double us = ms * 1000.0;
    if (!(us < 600e6)) us = 600e6;
    uint64_t v = uint64_t(std::llround(us));
    return v < lo_us ? lo_us : v;
  }
  uint64_t exponential_us(double mean_us) {
    double u = uniform();
    uint64_t v = uint64_t(-std::log(1.0 - u) * mean_us);
    return v ? v : 1;
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace geargen
