// The analyzer's connection table: TCP segments to connections (found by their endpoints, capped,
// least recently used dropped first), which side is the server, per-direction reassembly into a
// StreamDecoder each, and the decoded messages out to the next stage (ConnectionEvents).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "gearjobs/flat_map.h"
#include "gearproto/stream_decoder.h"
#include "netstream/packet.h"
#include "netstream/tcp_direction.h"
#include "options.h"
#include "statistics.h"
#include "warning_counter.h"

namespace gan {

struct Dir {
  gearproto::StreamDecoder dec;
  netstream::TcpDirection tcp;
  bool fin = false;
  explicit Dir(size_t max_out_of_order) : tcp(max_out_of_order) {}
};

struct Conn {
  uint64_t id = 0;             // serial, from 1
  uint64_t key = 0;            // its key in the table
  netstream::Endpoint x, y;    // x: sender of the first segment seen
  enum Kind : uint8_t { Undecided, Gearman, NotGearman } kind = Undecided;
  bool server_is_x = false;
  bool syn_from_x = false, syn_seen = false;
  bool synack_seen = false, data_seen = false;  // to tell a refused attempt (SYN, then RST) at its RST
  bool closed = false;
  uint32_t server = 0;
  uint32_t slot = UINT32_MAX;  // the job stage's number for it, once it is Gearman
  Dir dir[2];                  // by sender: 0 = x, 1 = y
  // While undecided: each direction's first bytes, kept until they are enough to tell whether
  // this is Gearman (a segment may hold only part of a header), then decoded like the rest.
  std::string first_bytes[2];
  uint32_t first_seq[2] = {0, 0};
  uint64_t last_use = 0;       // the table's use clock at its latest segment
  explicit Conn(size_t max_out_of_order) : dir{Dir(max_out_of_order), Dir(max_out_of_order)} {}
  bool to_server(int from) const { return (from == 0) != server_is_x; }
  const netstream::Endpoint& server_end() const { return server_is_x ? x : y; }
  const netstream::Endpoint& peer_end() const { return server_is_x ? y : x; }
};

class ConnectionEvents {
 public:
  virtual void on_gearman(Conn& c) = 0;  // just found to be Gearman (server side decided)
  virtual void on_message(Conn& c, int from, const gearproto::Message& m) = 0;
  virtual void on_skip(Conn& c, int from, uint64_t len, gearproto::SkipReason r, gearproto::FrameError why) = 0;
  virtual void on_closed(Conn& c) = 0;  // FIN/RST, dropped, or the capture ended (Gearman ones only)
  virtual void on_forgotten(Conn& c) = 0;  // about to be deleted (Gearman ones only)

 protected:
  ~ConnectionEvents() = default;
};

class ConnectionTable final {
 public:
  ConnectionTable(const Options& o, ConnectionEvents& events, WarningCounter& warnings, Totals& totals);
  ~ConnectionTable();
  ConnectionTable(const ConnectionTable&) = delete;
  ConnectionTable& operator=(const ConnectionTable&) = delete;

  void on_segment(const netstream::TcpSegment& s);
  // End of the capture: every direction flushed (holes given up), every connection closed.
  void finish();
  uint64_t frame() const { return frame_; }
  uint64_t undecided() const;  // connections whose first bytes never told (at the end)

 private:
  friend struct DirSink;
  Conn* find(const netstream::Endpoint& src, const netstream::Endpoint& dst, uint64_t* key_out);
  Conn* lookup(const netstream::TcpSegment& s, bool create);
  Conn* least_recently_used();
  void drop(Conn* c);
  void expire_closed();
  // Returns true when the segment's payload was kept among the first bytes (it is decoded with
  // them once the connection is found to be Gearman).
  bool decide(Conn* c, const netstream::TcpSegment& s, int from, bool opening);
  void replay_first_bytes(Conn& c, int from, const netstream::TcpSegment& now);
  void payload(Conn& c, int from, const netstream::TcpSegment& s);
  void flush(Conn& c, int from, bool finish);
  void close(Conn& c);

  const Options& opt_;
  ConnectionEvents& events_;
  WarningCounter& warnings_;
  Totals& totals_;
  gearjobs::FlatMap<Conn> conns_;     // by a symmetric hash of the two endpoints; owns the objects
  // Connections by a cheap hash of their endpoints, in front of conns_ (cleared when one is dropped).
  static constexpr size_t kRecent = 256;
  Conn* recent_[kRecent] = {};
  // Which connection the cap drops: each connection's last use is a stamp (one store per
  // segment; a list kept in order of use was relinked at nearly every segment, three connections'
  // lines touched). A min-heap of (stamp, id, key), one entry per connection, is brought up to date
  // only when the cap is reached: an entry whose connection was used since goes back with the newer
  // stamp, one whose connection is gone is dropped.
  struct UseMark {
    uint64_t stamp, id, key;
  };
  static bool later_use(const UseMark& a, const UseMark& b) { return a.stamp > b.stamp; }  // min-heap order
  std::vector<UseMark> by_use_;
  uint64_t use_clock_ = 0;
  struct Closed { int64_t ns; uint64_t id; uint64_t key; };
  std::deque<Closed> closed_;
  uint64_t next_id_ = 1;
  uint64_t frame_ = 0;
  int64_t now_ = 0;
};

}  // namespace gan
