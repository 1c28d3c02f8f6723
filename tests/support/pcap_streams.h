// Test helper: the TCP byte streams of a clean capture, both directions of each connection, each
// segment with the frame and time it came in. Frames are parsed and directions reassembled by the
// analyzer's own code (netstream::parse_frame, netstream::TcpDirection); holes become NUL bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace testsupport {

struct Segment {
  uint64_t stream_offset;  // where this segment's payload starts in its direction's stream
  uint32_t length;
  uint64_t frame;          // 1-based frame number
  double time;             // seconds since the epoch
};

struct Direction {
  std::string bytes;
  std::vector<Segment> segments;
};

struct Connection {
  std::string client_addr, server_addr;
  uint16_t client_port = 0, server_port = 0;
  bool saw_syn = false;
  Direction to_server, to_client;
};

// Reads every TCP connection of `path`. The side that sent the SYN is the client; without a SYN
// the side on `server_port` is the server. Throws std::runtime_error when the file cannot be read.
std::vector<Connection> read_tcp_connections(const std::string& path, uint16_t server_port = 4730);

// Absolute path of a bundled capture by file name.
std::string capture_path(const std::string& name);
// Paths of every manifest in captures/ (*.manifest.json), sorted.
std::vector<std::string> manifest_paths();

}  // namespace testsupport
