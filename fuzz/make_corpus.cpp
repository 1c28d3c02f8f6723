// Seeds the fuzzers' corpora from the real captures: each TCP direction's bytes, each PDU alone,
// and the admin text of each connection. fuzz_engine's seeds are scripts (engine_seeds.cpp).
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "engine_seeds.h"
#include "gearproto/stream_decoder.h"
#include "manifest.h"
#include "pcap_streams.h"

using namespace gearproto;

namespace {

int written = 0;

void write_file(const std::string& dir, const std::string& bytes) {
  std::ofstream(dir + "/seed-" + std::to_string(written++), std::ios::binary) << bytes;
}

struct Splitter : MessageSink {
  std::string out_dir_framer, out_dir_args;
  std::string admin;
  void on_message(const Message& m) override {
    if (m.kind == MessageKind::Text) {
      admin.append(m.raw);
      return;
    }
    if (m.raw.size() < 4096) write_file(out_dir_framer, std::string(m.raw));
    if (m.data.size() < 4096) write_file(out_dir_args, std::string(1, char(m.header.type)) + std::string(m.data));
  }
  void on_skip(uint64_t, uint64_t, SkipReason, FrameError) override {}
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus OUT_DIR\n");
    return 2;
  }
  const std::string root = argv[1];
  mkdir(root.c_str(), 0755);
  for (const char* t : {"framer", "arguments", "admin", "stream", "engine"}) mkdir((root + "/" + t).c_str(), 0755);
  for (const std::string& seed : enginefuzz::seed_scripts()) write_file(root + "/engine", seed);
  for (const auto& c : testsupport::bundled_captures()) {
    const uint16_t port = c.manifest.at("server").at("port").get<uint16_t>();
    for (const auto& conn : testsupport::read_tcp_connections(c.pcap_path, port)) {
      for (const auto* dir : {&conn.to_server, &conn.to_client}) {
        Splitter s;
        s.out_dir_framer = root + "/framer";
        s.out_dir_args = root + "/arguments";
        StreamDecoder d;
        d.feed(dir->bytes, s);
        if (dir->bytes.size() < 64 * 1024) write_file(root + "/stream", std::string(1, '\x01') + dir->bytes);
        if (!s.admin.empty()) write_file(root + "/admin", s.admin);
      }
    }
  }
  std::printf("make_corpus: %d seed files in %s\n", written, root.c_str());
  return 0;
}
