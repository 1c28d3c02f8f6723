// Finds PDUs in the TCP stream (port and heuristic entries) and hands each one to the binary or
// admin tree; garbage between PDUs is skipped as one unit. Messages that span segments are
// gathered by reassembly.cpp, not by TCP (reassembly.h says why); tcp_dissect_pdus only walks
// whole units.

#include "gearman_plugin.h"
#include "pdu_store.h"
#include "reassembly.h"

#include <epan/prefs-int.h>
#include <epan/conversation.h>
#include <epan/tap.h>
#include <epan/dissectors/packet-tcp.h>
#include <wsutil/str_util.h>

#include <cstring>

#include "gearproto/resync.h"
#include "gearproto/stream_decoder.h"

namespace gearman_plugin {

gearproto::Limits limits;

namespace {

gboolean desegment_enabled() {
  if (desegment_pref) return prefs_get_bool_value(desegment_pref, pref_current);
  return pref_own_desegment;
}

guint32 pdu_key(tvbuff_t* tvb) {
  // Stable across passes: where this PDU's bytes sit in its data source, and its length.
  return static_cast<guint32>(tvb_raw_offset(tvb)) * 2654435761u ^ tvb_reported_length(tvb);
}

// ---------------------------------------------------------------------------------------------
// Framing for tcp_dissect_pdus

// How tcp_dissect_pdus walks data the plugin reassembled itself (reassembly.h): its units were
// decided on the first pass, so every pass cuts them the same way.
struct WalkUnits {
  // Whole units of a segment: framed on the bytes up to the end of `window` (the segment), as
  // the first pass framed them, from `base` (where the walked tvb starts in the window).
  tvbuff_t* window;
  gint base;
  // Or gathered bytes: these unit lengths, in order.
  const guint32* units;
  guint32 n_units, next_unit, next_offset;
  // The conversation's data, when the caller has it (one lookup per frame, not per message).
  ConvData* cd;
  // Gathered bytes: the segment goes on after them (its own messages follow).
  bool more_after;
};

// Whether the walk goes on after the unit `tvb` (tcp_dissect_pdus has asked for its length, so
// next_unit is past it).
bool more_units_follow(tvbuff_t* tvb, const WalkUnits& w) {
  if (w.units) return w.next_unit < w.n_units || w.more_after;
  if (!w.window) return false;
  return tvb_raw_offset(tvb) + tvb_captured_length(tvb) < tvb_raw_offset(w.window) + tvb_captured_length(w.window);
}

guint get_pdu_len(packet_info* pinfo, tvbuff_t* tvb, int offset, void* data) {
  WalkUnits* w = static_cast<WalkUnits*>(data);
  if (w && w->units) {
    if (w->next_unit < w->n_units && static_cast<guint32>(offset) == w->next_offset) {
      const guint32 u = w->units[w->next_unit++];
      w->next_offset += u;
      return u;
    }
    return static_cast<guint>(tvb_captured_length_remaining(tvb, offset));  // not reached
  }
  if (w) {
    const gint at = w->base + offset;
    const gint avail = tvb_captured_length_remaining(w->window, at);
    if (avail <= 0) return 0;
    return unit_length(gearproto::as_bytes(tvb_get_ptr(w->window, at, avail), static_cast<size_t>(avail)), false);
  }
  // Data from another dissector than TCP (e.g. TLS), or TCP data that cannot be reassembled:
  // partial messages are the caller's to reassemble, if it can.
  const gint avail = tvb_captured_length_remaining(tvb, offset);
  if (avail <= 0) return 0;
  const bool more = desegment_enabled() && pinfo->can_desegment;
  return unit_length(gearproto::as_bytes(tvb_get_ptr(tvb, offset, avail), static_cast<size_t>(avail)), more);
}

// ---------------------------------------------------------------------------------------------
// One PDU (binary message, text line, or a run of garbage)

int dissect_pdu(tvbuff_t* tvb, packet_info* pinfo, proto_tree* tree, void* data) {
  col_set_str(pinfo->cinfo, COL_PROTOCOL, "Gearman");
  const gint caplen = tvb_captured_length(tvb);
  if (caplen <= 0) return 0;
  const guint8* p = tvb_get_ptr(tvb, 0, caplen);
  Bytes buf = gearproto::as_bytes(p, static_cast<size_t>(caplen));
  gearproto::Frame f = gearproto::frame_message(buf, limits);

  const WalkUnits* walk = static_cast<const WalkUnits*>(data);  // tcp_dissect_pdus passes ours on
  ConvData* cd = walk && walk->cd ? walk->cd : get_conv(pinfo);
  const bool binary = p[0] == '\0';
  if (!cd->server_known) learn_server(cd, pinfo, buf);

  const guint32 key = pdu_key(tvb);
  PduData* pd = find_pdu_data(pinfo->num, key);
  bool track = false;
  if (!pd) {
    pd = add_pdu_data(pinfo->num, key);
    if (!pd) pd = wmem_new0(wmem_file_scope(), PduData);  // the table is full: this PDU's record is not found again
    track = true;  // first time we see this PDU: update pairings and jobs exactly once
  }

  proto_item* ti = proto_tree_add_item(tree, proto_gearman, tvb, 0, -1, ENC_NA);
  proto_tree* pdu_tree = proto_item_add_subtree(ti, ett_pdu);
  TapRecord* tr = wmem_new0(pinfo->pool, TapRecord);
  tr->response_ms = -1;

  // Not Gearman: a NUL-started run that is no valid header (bad magic, oversize), a partial header,
  // or "text" that holds a NUL (admin lines never do; this is binary data seen mid-stream).
  bool garbage = binary ? (f.status == gearproto::Frame::Invalid && !gearproto::frame_error_is_skippable(f.error))
                        : std::memchr(p, '\0', static_cast<size_t>(caplen)) != nullptr;
  // Fewer bytes than a header, with more after them: unit_length cut them before the next
  // plausible header, so they are garbage (e.g. the NUL the abraxas server writes after a
  // message's declared length), not the start of a header the capture cut off.
  if (!garbage && binary && caplen < static_cast<gint>(gearproto::kHeaderSize) && walk && more_units_follow(tvb, *walk))
    garbage = true;
  if (!garbage && binary && caplen < static_cast<gint>(gearproto::kHeaderSize)) {
    // The start of a header and nothing more (desegmentation off, or the capture ends here).
    proto_item* gi = proto_tree_add_item(pdu_tree, hf_garbage, tvb, 0, caplen, ENC_NA);
    expert_add_info_format(pinfo, gi, &ei_truncated, "Only %d bytes of a 12-byte header", caplen);
    col_append_sep_fstr(pinfo->cinfo, COL_INFO, "; ", "[partial header]");
    return caplen;
  }
  if (garbage) {
    proto_item_append_text(ti, ", %d byte%s skipped", caplen, plurality(caplen, "", "s"));
    proto_item* gi = proto_tree_add_item(pdu_tree, hf_garbage, tvb, 0, caplen, ENC_NA);
    if (f.error == gearproto::FrameError::Oversize) expert_add_info(pinfo, gi, &ei_oversize);
    else if (f.error == gearproto::FrameError::BadMagic) expert_add_info(pinfo, gi, &ei_bad_magic);
    expert_add_info_format(pinfo, gi, &ei_resync, "Skipped %d byte%s that %s not Gearman to resynchronise", caplen,
                           plurality(caplen, "", "s"), caplen == 1 ? "is" : "are");
    col_append_sep_fstr(pinfo->cinfo, COL_INFO, "; ", "[%d byte%s skipped]", caplen, plurality(caplen, "", "s"));
    // Bytes that are not Gearman in a Gearman stream: garbled, or the capture lost a segment and
    // this one starts inside a message. Requests and answers may be missing, so the in-order
    // pairing of this connection starts afresh (the analyzer's rule at gaps and garbage).
    if (track && gearproto::garbage_may_hold_messages(binary, static_cast<uint64_t>(caplen))) track_lost_bytes(cd, pinfo);
    return caplen;
  }

  int n = binary ? dissect_binary(tvb, pinfo, pdu_tree, ti, cd, pd, track, tr)
                 : dissect_text(tvb, pinfo, pdu_tree, ti, cd, pd, track, tr);
  if (pd->request_frame) {
    tr->request_frame = pd->request_frame;
    tr->request_ts = nstime_of(pd->request_t);
    tr->request_type = pd->request_type;
    nstime_t d;
    nstime_delta(&d, &pinfo->abs_ts, &tr->request_ts);
    tr->response_ms = nstime_to_msec(&d);
  }
  tap_queue_packet(gearman_tap, pinfo, tr);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Data handed over by TCP, reassembled by the plugin (reassembly.h)

int proto_tcp_id = -1;

// True when TCP called us directly, so `data` is its struct tcpinfo (not e.g. TLS). The layers
// end with ours, once per call in this frame (TCP calls again for data after what it gathered, and
// the heuristic adds a layer of its own), then TCP's.
bool called_by_tcp(packet_info* pinfo, void* data) {
  if (!data) return false;
  if (proto_tcp_id == -1) proto_tcp_id = proto_get_id_by_filter_name("tcp");
  wmem_list_frame_t* f = wmem_list_tail(pinfo->layers);
  while (f && GPOINTER_TO_INT(wmem_list_frame_data(f)) == proto_gearman) f = wmem_list_frame_prev(f);
  return f && GPOINTER_TO_INT(wmem_list_frame_data(f)) == proto_tcp_id;
}

// The item that holds what a segment has besides whole messages (created on first use).
proto_tree* segment_tree(proto_tree* tree, tvbuff_t* tvb, proto_item** item) {
  if (!*item) *item = proto_tree_add_item(tree, proto_gearman, tvb, 0, 0, ENC_NA);
  return proto_item_add_subtree(*item, ett_pdu);
}

// Gathered bytes complete in this frame: a data source of their own, the frames they came from
// (as TCP lists its segments), then their messages.
// `more_after`: this segment goes on after the gathered bytes (so a short last unit is garbage cut
// before a header there, not a header cut off).
void dissect_gathered(tvbuff_t* tvb, packet_info* pinfo, proto_tree* tree, const Gathered* g, bool more_after) {
  tvbuff_t* rtvb = tvb_new_child_real_data(tvb, g->bytes, g->len, static_cast<gint>(g->len));
  add_new_data_source(pinfo, rtvb, "Reassembled Gearman");
  const guint n = wmem_array_get_count(g->pieces);
  proto_item* si = proto_tree_add_item(tree, hf_segments, rtvb, 0, -1, ENC_NA);
  proto_item_set_text(si, "%u Gearman segment%s (%u byte%s): ", n, plurality(n, "", "s"), g->len, plurality(g->len, "", "s"));
  proto_tree* st = proto_item_add_subtree(si, ett_segments);
  guint32 off = 0;
  for (guint i = 0; i < n; ++i) {
    const Piece* pc = static_cast<const Piece*>(wmem_array_index(g->pieces, i));
    proto_item_append_text(si, "%s#%u(%u)", i ? ", " : "", pc->frame, pc->len);
    proto_tree_add_uint_format(st, hf_segment, rtvb, static_cast<gint>(off), static_cast<gint>(pc->len), pc->frame,
                               "Frame: %u, payload: %u-%u (%u byte%s)", pc->frame, off, off + pc->len - 1, pc->len,
                               plurality(pc->len, "", "s"));
    off += pc->len;
  }
  proto_item_set_generated(si);
  proto_item* ci = proto_tree_add_uint(st, hf_segment_count, rtvb, 0, 0, n);
  proto_item_set_generated(ci);
  ci = proto_tree_add_uint(st, hf_reassembled_length, rtvb, 0, 0, g->len);
  proto_item_set_generated(ci);
  WalkUnits w = {nullptr, 0, g->units, g->n_units, 0, 0, nullptr, more_after};
  tcp_dissect_pdus(rtvb, pinfo, tree, FALSE, 1, get_pdu_len, dissect_pdu, &w);
}

// `more_follows`: TCP hands the rest of this segment over in another call (after data it gathered
// itself), so a note in the Info column would come before that data's messages.
void dissect_planned(tvbuff_t* tvb, packet_info* pinfo, proto_tree* tree, ConvData* cd, const SegmentPlan* p,
                     bool more_follows) {
  const guint32 len = tvb_reported_length(tvb);
  proto_item* item = nullptr;
  bool shown = false;  // a message in the Info column
  if (p->old_len) {
    proto_tree* t = segment_tree(tree, tvb, &item);
    proto_item_set_len(item, static_cast<gint>(p->old_len));
    proto_item_append_text(item, ", %u byte%s seen before", p->old_len, plurality(p->old_len, "", "s"));
    proto_item* di = proto_tree_add_item(t, hf_seen_before, tvb, 0, static_cast<gint>(p->old_len), ENC_NA);
    expert_add_info_format(pinfo, di, &ei_seen_before, "%u byte%s already dissected (a retransmission): skipped",
                           p->old_len, plurality(p->old_len, "", "s"));
  }
  if (p->lost_before || p->cut_first_frame) {
    // Requests and answers may be missing: the in-order pairing of this connection starts afresh
    // (the analyzer's rule at gaps).
    if (!PINFO_FD_VISITED(pinfo)) track_lost_bytes(cd, pinfo);
    if (p->cut_first_frame) {
      segment_tree(tree, tvb, &item);
      if (p->lost_before)
        expert_add_info_format(pinfo, item, &ei_message_lost,
                               "%u bytes before this segment are missing from the capture: the message begun in frame %u is lost",
                               p->lost_before, p->cut_first_frame);
      else
        expert_add_info_format(pinfo, item, &ei_message_lost,
                               "The sequence number jumped: the message begun in frame %u is lost", p->cut_first_frame);
    }
  }
  if (p->completes) {
    dissect_gathered(tvb, pinfo, tree, p->completes, len > p->old_len + p->complete_len);
    shown = true;
  }
  const guint32 start = p->old_len + p->complete_len;
  if (p->direct_end > start) {
    tvbuff_t* sub = tvb_new_subset_length(tvb, static_cast<gint>(start), static_cast<gint>(p->direct_end - start));
    WalkUnits w = {tvb, static_cast<gint>(start), nullptr, 0, 0, 0, cd, false};
    tcp_dissect_pdus(sub, pinfo, tree, FALSE, 1, get_pdu_len, dissect_pdu, &w);
    shown = true;
  }
  if (p->tail && p->direct_end < len) {
    // The start or a middle of a message completed in a later frame (TCP shows its own
    // reassembly so: "[TCP segment of a reassembled PDU]" and the frame that has the message).
    proto_item* ti = proto_tree_add_item(tree, proto_gearman, tvb, static_cast<gint>(p->direct_end),
                                         static_cast<gint>(len - p->direct_end), ENC_NA);
    proto_item_append_text(ti, ", segment of a reassembled message");
    proto_tree* t = proto_item_add_subtree(ti, ett_pdu);
    proto_tree_add_item(t, hf_segment_data, tvb, static_cast<gint>(p->direct_end), static_cast<gint>(len - p->direct_end), ENC_NA);
    if (p->tail->done_frame) {
      proto_item* ri = proto_tree_add_uint(t, hf_reassembled_in, tvb, 0, 0, p->tail->done_frame);
      proto_item_set_generated(ri);
    } else if (PINFO_FD_VISITED(pinfo)) {
      // The whole capture was seen (tshark -2, the GUI) and no later segment completed them: the
      // analyzer's truncated_message. The first pass cannot know yet.
      expert_add_info(pinfo, ti, &ei_unfinished);
    }
    if (!shown && !more_follows)
      col_append_sep_str(pinfo->cinfo, COL_INFO, "; ", "[Gearman segment of a reassembled message]");
    shown = true;
  }
  if (!shown && !more_follows && p->old_len)
    col_append_sep_fstr(pinfo->cinfo, COL_INFO, "; ", "[%u byte%s seen before (retransmission)]", p->old_len,
                        plurality(p->old_len, "", "s"));
}

}  // namespace

guint unit_length(Bytes buf, bool more_may_come) {
  gearproto::Frame f = gearproto::frame_message(buf, limits);
  if (f.kind == gearproto::MessageKind::Text && f.status != gearproto::Frame::Invalid) {
    // Admin lines never hold a NUL: text with one is binary data seen mid-stream. Skip it up to
    // the next plausible header (or the NUL, which starts the next attempt).
    const size_t scan = f.status == gearproto::Frame::Complete ? f.size : buf.size();
    const void* nul = std::memchr(buf.data(), '\0', scan);
    if (nul) {
      size_t at = static_cast<size_t>(static_cast<const char*>(nul) - buf.data());
      size_t next = gearproto::find_plausible_header(buf, 1, limits);
      return static_cast<guint>(next != Bytes::npos ? next : at);
    }
  }
  if (f.status == gearproto::Frame::Complete) return static_cast<guint>(f.size);
  if (f.status == gearproto::Frame::NeedMore) {
    // The whole size once the header is in (the framer reports 12 for a partial header: that is
    // a lower bound, not the size, and a reassembly told a size cannot grow it).
    if (f.size && buf.size() >= gearproto::kHeaderSize) return static_cast<guint>(f.size);
    // A text line without its newline yet, or fewer than 12 header bytes: 0 (one more segment)
    // when more can come, else what there is.
    if (more_may_come) return 0;
    return static_cast<guint>(buf.size());
  }
  // Invalid: the bytes up to the next plausible header are garbage; skip them as one unit.
  size_t next = gearproto::find_plausible_header(buf, 1, limits);
  if (next == Bytes::npos) return static_cast<guint>(buf.size());
  return static_cast<guint>(next);
}

int dissect_gearman(tvbuff_t* tvb, packet_info* pinfo, proto_tree* tree, void* data) {
  col_set_str(pinfo->cinfo, COL_PROTOCOL, "Gearman");
  col_clear(pinfo->cinfo, COL_INFO);
  const gint len = tvb_reported_length(tvb);
  if (!called_by_tcp(pinfo, data)) {
    // Another dissector hands us its data (e.g. TLS): it reassembles, when asked (get_pdu_len
    // returns 0 for one more segment).
    tcp_dissect_pdus(tvb, pinfo, tree, desegment_enabled(), 1, get_pdu_len, dissect_pdu, nullptr);
    return tvb_captured_length(tvb);
  }
  ConvData* cd = get_conv(pinfo);
  if (!desegment_enabled() || !pinfo->can_desegment || tvb_captured_length_remaining(tvb, 0) != len || len <= 0) {
    // No reassembly (preference off, or bytes missing from this segment): its messages as they
    // are, a partial one marked truncated; the next data starts afresh.
    forget_stream(cd, pinfo);
    tcp_dissect_pdus(tvb, pinfo, tree, FALSE, 1, get_pdu_len, dissect_pdu, nullptr);
    return tvb_captured_length(tvb);
  }
  const struct tcpinfo* ti = static_cast<const struct tcpinfo*>(data);
  const SegmentPlan* p = plan_segment(cd, pinfo, ti->seq, tvb_get_ptr(tvb, 0, len), static_cast<guint32>(len));
  if (p) {
    const guint32 end = ti->seq + static_cast<guint32>(len);
    dissect_planned(tvb, pinfo, tree, cd, p, static_cast<gint32>(ti->nxtseq - end) > 0);
  } else {
    // Whole messages only (the common case).
    WalkUnits w = {tvb, 0, nullptr, 0, 0, 0, cd, false};
    tcp_dissect_pdus(tvb, pinfo, tree, FALSE, 1, get_pdu_len, dissect_pdu, &w);
  }
  return len;
}

gboolean dissect_gearman_heur(tvbuff_t* tvb, packet_info* pinfo, proto_tree* tree, void* data) {
  if (!pref_heuristic) return FALSE;
  const gint caplen = tvb_captured_length(tvb);
  if (caplen < 1) return FALSE;
  const gint n = caplen < 4096 ? caplen : 4096;
  Bytes b = gearproto::as_bytes(tvb_get_ptr(tvb, 0, n), static_cast<size_t>(n));
  gearproto::StreamStart start = gearproto::classify_stream_prefix(b, limits);
  if (start.verdict == gearproto::StreamStart::No) return FALSE;
  if (start.verdict == gearproto::StreamStart::NeedMore) {
    // Too few bytes to decide (a segment with half a header, or a command line without its
    // newline): ask TCP for more and decide on the reassembled bytes. Without reassembly, or once
    // the connection's first bytes are behind us, there is nothing to wait for.
    // The one place the plugin still uses TCP's reassembly: the gathered bytes must go to every
    // heuristic dissector if they are not Gearman. (So a keep-alive probe right after such a
    // first message, before any other data, still meets TCP's "New fragment overlaps old data":
    // docs/wireshark-plugin.md, "Reassembly".)
    if (!desegment_enabled() || !pinfo->can_desegment || caplen != n) return FALSE;
    pinfo->desegment_offset = 0;
    pinfo->desegment_len = start.need > static_cast<size_t>(caplen)
                               ? static_cast<guint32>(start.need - static_cast<size_t>(caplen))
                               : DESEGMENT_ONE_MORE_SEGMENT;
    return TRUE;
  }
  conversation_t* conv = find_or_create_conversation(pinfo);
  conversation_set_dissector(conv, gearman_handle);
  dissect_gearman(tvb, pinfo, tree, data);
  return TRUE;
}

}  // namespace gearman_plugin
