// The decoder over the real captures' TCP streams agrees with the manifests, which the capture
// script wrote from what it ran and from an independent count.
#include <gtest/gtest.h>

#include <map>

#include "gearproto/admin.h"
#include "gearproto/arguments.h"
#include "gearproto/stream_decoder.h"
#include "manifest.h"
#include "pcap_streams.h"

using namespace gearproto;

namespace {

struct Counts : MessageSink {
  std::map<std::string, int> by_type, by_type_magic;
  int binary = 0, text = 0, skipped = 0, defects = 0, frame_errors = 0;
  uint64_t skipped_bytes = 0;
  std::vector<std::string> lines;
  int missing_last_separator = 0, unusual_number = 0;
  void on_message(const Message& m) override {
    if (m.kind == MessageKind::Text) {
      ++text;
      lines.emplace_back(m.line);
      return;
    }
    ++binary;
    if (m.error != FrameError::None) ++frame_errors;
    const char* name = packet_name(m.header.type);
    by_type[name]++;
    by_type_magic[std::string(name) + "/" + magic_name(m.header.magic)]++;
    if (!m.header.info) return;
    const uint32_t d = split_arguments(*m.header.info, m.data).defects;
    if (d & kMissingLastSeparator) ++missing_last_separator;
    if (d & kUnusualNumber) ++unusual_number;
    if (d & ~(kMissingLastSeparator | kUnusualNumber)) ++defects;
  }
  void on_skip(uint64_t, uint64_t len, SkipReason, FrameError) override {
    ++skipped;
    skipped_bytes += len;
  }
};

struct Decoded {
  Counts to_server, to_client;
  std::map<std::string, int> by_type, by_type_magic;
};

Decoded decode_capture(const testsupport::BundledCapture& c) {
  Decoded d;
  const uint16_t port = c.manifest.at("server").at("port").get<uint16_t>();
  for (const auto& conn : testsupport::read_tcp_connections(c.pcap_path, port)) {
    StreamDecoder up, down;
    up.feed(conn.to_server.bytes, d.to_server);
    up.finish(d.to_server);
    down.feed(conn.to_client.bytes, d.to_client);
    down.finish(d.to_client);
  }
  for (Counts* side : {&d.to_server, &d.to_client}) {
    for (auto& [k, v] : side->by_type) d.by_type[k] += v;
    for (auto& [k, v] : side->by_type_magic) d.by_type_magic[k] += v;
  }
  return d;
}

}  // namespace

TEST(Captures, AreBundled) {
  auto caps = testsupport::bundled_captures();
  EXPECT_GE(caps.size(), 5u);
}

TEST(Captures, DecoderAgreesWithManifestCounts) {
  for (const auto& c : testsupport::bundled_captures()) {
    SCOPED_TRACE(c.name);
    Decoded d = decode_capture(c);
    const auto& pk = c.manifest.at("packets");
    EXPECT_EQ(d.to_server.binary + d.to_client.binary, pk.at("binary_total").get<int>());
    std::map<std::string, int> want_type = pk.at("by_type").get<std::map<std::string, int>>();
    EXPECT_EQ(d.by_type, want_type);
    if (pk.contains("by_type_magic")) {
      EXPECT_EQ(d.by_type_magic, (pk.at("by_type_magic").get<std::map<std::string, int>>()));
    }
    // Real software on a clean capture: nothing skipped but the bytes the manifest says the
    // software wrote outside any PDU (stray_bytes), nothing malformed.
    const uint64_t stray = c.manifest.value("stray_bytes", nlohmann::json::object()).value("count", 0);
    EXPECT_EQ(d.to_server.skipped_bytes + d.to_client.skipped_bytes, stray);
    EXPECT_LE(d.to_server.skipped + d.to_client.skipped, int(stray));
    EXPECT_EQ(d.to_server.frame_errors + d.to_client.frame_errors, 0);
    EXPECT_EQ(d.to_server.defects + d.to_client.defects, 0);
    // What the scenario knowingly made odd (the manifest's odd_packets, from what the software
    // sends): exactly those, read but flagged.
    const nlohmann::json odd = c.manifest.value("odd_packets", nlohmann::json::object());
    EXPECT_EQ(d.to_server.missing_last_separator + d.to_client.missing_last_separator,
              odd.value("missing_last_separator", 0));
    EXPECT_EQ(d.to_server.unusual_number + d.to_client.unusual_number, odd.value("unusual_number", 0));
    // Admin commands: the text lines sent to the server, in order.
    auto want_cmds = c.manifest.value("admin_commands", std::vector<std::string>{});
    EXPECT_EQ(d.to_server.lines, want_cmds);
    if (pk.contains("admin_commands")) {
      EXPECT_EQ(d.to_server.text, pk.at("admin_commands").get<int>());
    }
    if (pk.contains("admin_reply_lines")) {
      EXPECT_EQ(d.to_client.text, pk.at("admin_reply_lines").get<int>());
    }
  }
}

TEST(Captures, EveryAdminCommandIsKnownAndEveryReplyPairs) {
  for (const auto& c : testsupport::bundled_captures()) {
    SCOPED_TRACE(c.name);
    const uint16_t port = c.manifest.at("server").at("port").get<uint16_t>();
    for (const auto& conn : testsupport::read_tcp_connections(c.pcap_path, port)) {
      Counts up, down;
      StreamDecoder a, b;
      a.feed(conn.to_server.bytes, up);
      b.feed(conn.to_client.bytes, down);
      if (up.lines.empty()) continue;
      AdminPairing pairing;
      uint64_t seq = 0;
      for (const std::string& line : up.lines) {
        AdminRequest r = parse_admin_command(line);
        pairing.on_command(r.command, seq++);
      }
      for (const std::string& line : down.lines) {
        AdminReplyLine parsed;
        auto p = pairing.on_reply_line(line, parsed);
        EXPECT_TRUE(p.matched) << line;
        EXPECT_NE(parsed.kind, ReplyLineKind::Malformed) << line;
      }
    }
  }
}

TEST(Captures, EveryTypeRealSoftwareSendsIsPresent) {
  std::map<std::string, int> all;
  for (const auto& c : testsupport::bundled_captures())
    for (auto& [k, v] : decode_capture(c).by_type) all[k] += v;
  // All known types but the two no real software sends (crafted-byte tests cover them).
  for (const PacketInfo* p = packet_table_begin(); p != packet_table_end(); ++p) {
    if (p->type == ALL_YOURS || p->type == SUBMIT_JOB_SCHED) continue;
    EXPECT_GT(all[p->name], 0) << p->name << " is in no bundled capture";
  }
}
