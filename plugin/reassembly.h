// Messages that span TCP segments, reassembled by the plugin itself instead of by TCP.
//
// Why not TCP's reassembly (tcp_dissect_pdus asking for "one more segment" or an exact length):
// in Wireshark 4.0, once TCP has reassembled a message, a later segment that lies inside it and
// that TCP's analysis does not call a retransmission goes to that finished reassembly, and
// fragment_add() throws "New fragment overlaps old data (retransmission?)" before any Gearman
// code runs. TCP's analysis calls a 1-byte segment at next-seq - 1 a Keep-Alive, never a
// retransmission, so every Windows keep-alive probe (and every retransmitted last byte) after a
// message that ended a multi-segment reassembly shows that error. docs/wireshark-plugin.md
// ("Reassembly") has the code path in packet-tcp.c and reassemble.c. When the plugin never asks
// TCP for more data, TCP keeps no reassembly for the stream and hands a keep-alive to its data
// dissector; bytes that still reach the plugin twice are skipped here as retransmitted.
//
// The first pass decides, per dissector call, what its bytes are (a SegmentPlan: bytes seen
// before, the end of a message gathered from earlier segments, whole messages, the start of the
// next message); later passes replay that decision, so every pass shows the same tree. Wireshark's
// conventions are kept: a gathered message is dissected in the frame of its last byte, from a
// "Reassembled Gearman" data source, with links to its segments; each segment links to that frame.
#pragma once

#include "gearman_plugin.h"

namespace gearman_plugin {

// One segment's share of gathered bytes.
struct Piece {
  guint32 frame;
  guint32 len;
};

// Bytes of messages that arrived over several segments (usually one message), dissected together
// in the frame whose segment completed them.
struct Gathered {
  guint8* bytes;       // file scope; grows with the bytes that arrive, never by a length field
  guint32 len, cap;
  guint32 done_frame;  // the frame that completed them; 0 while unfinished (or cut off by a gap)
  guint32 n_units;     // the messages (or runs of skipped bytes) in them, set when done
  guint32* units;
  wmem_array_t* pieces;  // Piece per contributing segment, in stream order
};

// What the bytes of one dissector call (one TCP segment, or a run TCP put together out of order)
// are, in stream order. Absent (nullptr) for the common case: whole messages only.
struct SegmentPlan {
  guint32 old_len;        // leading bytes already taken in (a retransmission): skipped
  guint32 lost_before;    // bytes missing from the capture just before this data
  guint32 cut_first_frame;  // first frame of the unfinished message those lost bytes cut off (0: none)
  Gathered* completes;    // the bytes after old_len finish these ...
  guint32 complete_len;   // ... with this many bytes of this segment
  guint32 direct_end;     // whole messages of this segment, from old_len + complete_len to here
  Gathered* tail;         // the rest (to the end) starts or continues these unfinished bytes
};

// The plan of this call: made on the first pass (nullptr when the bytes are whole messages
// only), looked up on later passes. `seq` is TCP's sequence number of data[0].
const SegmentPlan* plan_segment(ConvData* cd, packet_info* pinfo, guint32 seq, const guint8* data, guint32 len);

// The first pass met data of this direction it cannot reassemble (cut by the snapshot length, or
// TCP desegmentation off): an unfinished message is given up and the next data starts afresh.
void forget_stream(ConvData* cd, packet_info* pinfo);

// framing.cpp: the length of the unit (message, text line, or run of bytes to skip) at the start
// of `buf`; more than buf.size() for a partial binary message whose header gives its length. For
// another partial unit (a split header, a line without its newline): 0 when `more_may_come`, else
// buf.size().
guint unit_length(Bytes buf, bool more_may_come);

}  // namespace gearman_plugin
