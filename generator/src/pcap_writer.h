// gearman-gen's output file: classic pcap written through one large buffer.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>

namespace geargen {

// "writing out.pcap: No space left on device" (errno at the failed call).
inline std::string io_error(const char* what, const std::string& path, int err = errno) {
  return std::string(what) + " " + path + ": " + std::strerror(err);
}

class PcapWriter {
 public:
  PcapWriter(const std::string& path, uint32_t linktype) : path_(path) {
    f_ = std::fopen(path.c_str(), "wb");
    if (!f_) throw std::runtime_error(io_error("cannot write", path));
    buf_.reserve(kFlush + 70000);
    put32(0xa1b2c3d4); put16(2); put16(4); put32(0); put32(0); put32(262144); put32(linktype);
  }
  ~PcapWriter() { if (f_) std::fclose(f_); }
  // One record made of a few pieces (link + IP/TCP headers, payload), copied once.
  void record(uint64_t t_us, std::initializer_list<std::string_view> parts) {
    size_t n = 0;
    for (auto p : parts) n += p.size();
    put32(uint32_t(t_us / 1000000)); put32(uint32_t(t_us % 1000000));
    put32(uint32_t(n)); put32(uint32_t(n));
    for (auto p : parts) buf_.append(p.data(), p.size());
    ++frames_; bytes_ += n;
    if (buf_.size() >= kFlush) flush();
  }
  void close() {
    flush();
    if (std::fclose(f_) != 0) { f_ = nullptr; throw std::runtime_error(io_error("writing", path_)); }
    f_ = nullptr;
  }
  uint64_t frames() const { return frames_; }
  uint64_t bytes() const { return bytes_; }

 private:
  static constexpr size_t kFlush = 1 << 20;
  void flush() {
    if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size())
      throw std::runtime_error(io_error("writing", path_));
    buf_.clear();
  }
  void put16(uint16_t v) { buf_.append(reinterpret_cast<const char*>(&v), 2); }  // host order, as
  void put32(uint32_t v) { buf_.append(reinterpret_cast<const char*>(&v), 4); }  // the magic says
  std::string path_;
  std::FILE* f_ = nullptr;
  std::string buf_;
  uint64_t frames_ = 0, bytes_ = 0;
};

}  // namespace geargen
