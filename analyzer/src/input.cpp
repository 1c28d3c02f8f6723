// SPDX-License-Identifier: GPL-2.0-or-later
#include "input.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <isa-l/igzip_lib.h>
#include <zstd.h>

#include <algorithm>
#include <memory>
#include <cerrno>
#include <cstring>
#include <vector>

#include "stop_signal.h"

namespace gan {

struct SourceState {
  enum Kind { Plain, Gzip, Zstd } kind = Plain;
  int fd = -1;
  bool own_fd = false;
  uint8_t prefix[8];  // the bytes read to recognise the format, handed out first
  size_t prefix_len = 0, prefix_off = 0;
  std::vector<uint8_t> in;  // compressed bytes read, not yet decompressed
  size_t in_pos = 0, in_len = 0;
  bool eof = false;
  bool stopped = false;  // SIGINT/SIGTERM while waiting for input: the end, not an error
  uint64_t consumed = 0;
  std::string error;
  // gzip, with ISA-L's inflate: about four times zlib's speed, so that decompressing is not what
  // limits reading a .pcap.gz (zlib took 1.7 s of CPU for a 585 MB capture, four times the bare
  // libpcap loop over the plain file).
  std::unique_ptr<inflate_state> gz;  // large (Huffman tables): on the heap
  bool in_member = false;  // inside a gzip member (its end not seen yet)
  uint64_t members = 0;    // gzip members read to their end
  uint64_t member_out = 0; // bytes the current member gave
  // zstd
  ZSTD_DStream* zs = nullptr;
  size_t z_hint = 1;       // ZSTD_decompressStream's last return: 0 = at a frame's end

  ~SourceState() {
    if (zs) ZSTD_freeDStream(zs);
    if (own_fd && fd >= 0) ::close(fd);
  }

  // Reads the next compressed bytes into `in` (prefix first). false at the end or on an error.
  bool fill() {
    in_pos = in_len = 0;
    if (prefix_off < prefix_len) {
      in_len = prefix_len - prefix_off;
      std::memcpy(in.data(), prefix + prefix_off, in_len);
      prefix_off = prefix_len;
      return true;
    }
    for (;;) {
      ssize_t n = ::read(fd, in.data(), in.size());
      if (n > 0) { in_len = size_t(n); consumed += uint64_t(n); return true; }
      if (n == 0) { eof = true; return false; }
      if (errno == EINTR) {
        if (stop_requested()) { eof = stopped = true; return false; }
        continue;
      }
      error = std::strerror(errno);
      return false;
    }
  }

  ssize_t fail(const std::string& why) {
    if (error.empty()) error = why;
    errno = EIO;
    return -1;
  }

  ssize_t read_plain(char* buf, size_t size) {
    if (in_pos == in_len && !fill()) return error.empty() ? 0 : fail(error);
    size_t n = std::min(size, in_len - in_pos);
    std::memcpy(buf, in.data() + in_pos, n);
    in_pos += n;
    return ssize_t(n);
  }

  void start_gzip_member() {
    isal_inflate_init(gz.get());
    gz->crc_flag = IGZIP_GZIP;  // parse the gzip header, check the trailer's CRC and length
    member_out = 0;
  }

  static const char* gzip_error(int r) {  // worded as zlib words them
    switch (r) {
      case ISAL_INVALID_BLOCK: return "invalid block type";
      case ISAL_INVALID_SYMBOL: return "invalid code";
      case ISAL_INVALID_LOOKBACK: return "invalid distance too far back";
      case ISAL_INVALID_WRAPPER: return "incorrect header check";
      case ISAL_UNSUPPORTED_METHOD: return "unknown compression method";
      case ISAL_INCORRECT_CHECKSUM: return "incorrect data check";
      case ISAL_NEED_DICT: return "needs a preset dictionary";
      default: return "corrupt data";
    }
  }

  ssize_t read_gzip(char* buf, size_t size) {
    inflate_state& z = *gz;
    z.next_out = reinterpret_cast<uint8_t*>(buf);
    z.avail_out = uint32_t(std::min(size, size_t(UINT32_MAX)));
    const uint32_t room = z.avail_out;
    while (z.avail_out == room) {
      if (z.avail_in == 0) {
        if (!fill()) {
          if (!error.empty()) return fail(error);
          if (in_member && !stopped) return fail("gzip: the compressed data is cut off (truncated file)");
          break;
        }
        z.next_in = in.data();
        z.avail_in = uint32_t(in_len);
      }
      in_member = true;
      const uint32_t before = z.avail_out;
      const int r = isal_inflate(&z);
      member_out += before - z.avail_out;
      if (r < 0) {
        std::string why = gzip_error(r);
        if (members && member_out == 0) why = "data after the end of the compressed stream is not gzip (" + why + ")";
        return fail("gzip: " + why);
      }
      if (z.block_state == ISAL_BLOCK_FINISH) {
        // Concatenated members (`cat a.gz b.gz`) are one stream, as for gzip -d.
        in_member = false;
        ++members;
        uint8_t* next = z.next_in;
        const uint32_t left = z.avail_in;
        uint8_t* out = z.next_out;
        const uint32_t out_left = z.avail_out;
        start_gzip_member();
        z.next_in = next;
        z.avail_in = left;
        z.next_out = out;
        z.avail_out = out_left;
      }
    }
    return ssize_t(room - z.avail_out);
  }

  ssize_t read_zstd(char* buf, size_t size) {
    ZSTD_outBuffer out{buf, size, 0};
    ZSTD_inBuffer zin{in.data(), in_len, in_pos};
    for (;;) {
      size_t r = ZSTD_decompressStream(zs, &out, &zin);
      in_pos = zin.pos;
      if (ZSTD_isError(r)) return fail(std::string("zstd: ") + ZSTD_getErrorName(r));
      z_hint = r;
      if (out.pos > 0) return ssize_t(out.pos);
      if (zin.pos < zin.size) continue;
      if (!fill()) {
        if (!error.empty()) return fail(error);
        if (z_hint != 0 && !stopped) return fail("zstd: the compressed data is cut off (truncated file)");
        return 0;
      }
      zin = ZSTD_inBuffer{in.data(), in_len, 0};
    }
  }
};

namespace {

ssize_t cookie_read(void* c, char* buf, size_t size) {
  auto* st = static_cast<std::shared_ptr<SourceState>*>(c)->get();
  switch (st->kind) {
    case SourceState::Gzip: return st->read_gzip(buf, size);
    case SourceState::Zstd: return st->read_zstd(buf, size);
    default: return st->read_plain(buf, size);
  }
}
int cookie_close(void* c) {
  delete static_cast<std::shared_ptr<SourceState>*>(c);
  return 0;
}

// Formats that are recognised only to say so.
const char* unread_format(const uint8_t* b, size_t n) {
  if (n >= 4 && b[0] == 0xfd && b[1] == '7' && b[2] == 'z' && b[3] == 'X') return "xz";
  if (n >= 3 && b[0] == 'B' && b[1] == 'Z' && b[2] == 'h') return "bzip2";
  if (n >= 4 && b[0] == 0x04 && b[1] == 0x22 && b[2] == 0x4d && b[3] == 0x18) return "lz4";
  return nullptr;
}

}  // namespace

uint64_t Source::consumed() const { return state ? state->consumed : 0; }
std::string Source::error() const { return state ? state->error : std::string(); }

bool open_source(const std::string& path, Source& out, std::string& err) {
  const bool is_stdin = path == "-";
  const std::string name = is_stdin ? std::string("stdin") : path;
  out = Source{};
  auto st = std::make_shared<SourceState>();
  if (is_stdin) {
    st->fd = 0;
  } else {
    st->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (st->fd < 0) { err = name + ": " + std::strerror(errno); return false; }
    st->own_fd = true;
    struct stat sb;
    if (fstat(st->fd, &sb) == 0 && S_ISDIR(sb.st_mode)) { err = name + ": " + std::strerror(EISDIR); return false; }
  }
  // The first bytes say what this is. From a pipe they may come in pieces.
  while (st->prefix_len < 4) {
    ssize_t n = ::read(st->fd, st->prefix + st->prefix_len, 4 - st->prefix_len);
    if (n > 0) { st->prefix_len += size_t(n); continue; }
    if (n < 0 && errno == EINTR && !stop_requested()) continue;
    if (n < 0 && errno == EINTR) break;  // stopped before anything came: an empty input
    if (n < 0) { err = name + ": " + std::strerror(errno); return false; }
    break;
  }
  st->consumed = st->prefix_len;
  const uint8_t* b = st->prefix;
  if (st->prefix_len >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
    st->kind = SourceState::Gzip;
    st->gz = std::make_unique<inflate_state>();
    st->start_gzip_member();
    out.compression = "gzip";
  } else if (st->prefix_len >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd) {
    st->kind = SourceState::Zstd;
    st->zs = ZSTD_createDStream();
    if (!st->zs) { err = name + ": zstd: out of memory"; return false; }
    ZSTD_initDStream(st->zs);
    out.compression = "zstd";
  } else if (const char* other = unread_format(b, st->prefix_len)) {
    err = name + ": " + other + "-compressed; gearman-analyze reads plain, gzip and zstd captures (" + other +
          " -dc " + (is_stdin ? std::string("FILE") : path) + " | gearman-analyze -)";
    return false;
  } else if (!is_stdin) {
    return true;  // a plain file: libpcap opens it by name
  }
  st->in.resize(size_t(1) << 18);
  auto* cookie = new std::shared_ptr<SourceState>(st);
  cookie_io_functions_t io{cookie_read, nullptr, nullptr, cookie_close};
  out.fp = fopencookie(cookie, "r", io);
  if (!out.fp) {
    delete cookie;
    err = name + ": " + std::strerror(errno);
    return false;
  }
  // stdio would ask the cookie for BUFSIZ (8 KiB) at a time: a decompressor call per 8 KiB is
  // mostly call overhead. 256 KiB per call (freed by fclose).
  setvbuf(out.fp, nullptr, _IOFBF, size_t(1) << 18);
  out.state = std::move(st);
  return true;
}

}  // namespace gan
