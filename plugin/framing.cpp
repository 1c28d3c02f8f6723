// Finds PDUs in the TCP stream (port and heuristic entries, tcp_dissect_pdus framing) and hands
// each one to the binary or admin tree; garbage between PDUs is skipped as one unit.

#include "gearman_plugin.h"

#include <epan/prefs-int.h>
#include <epan/conversation.h>
#include <epan/proto_data.h>
#include <epan/tap.h>
#include <epan/dissectors/packet-tcp.h>

#include <cstring>

#include "gearproto/resync.h"

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

guint get_pdu_len(packet_info* pinfo, tvbuff_t* tvb, int offset, void* /*data*/) {
  const gint avail = tvb_captured_length_remaining(tvb, offset);
  if (avail <= 0) return 0;
  const guint8* p = tvb_get_ptr(tvb, offset, avail);
  Bytes buf = gearproto::as_bytes(p, static_cast<size_t>(avail));
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
    // The framer reports 12 for a partial header: that is a lower bound, not the PDU size, and
    // TCP reassembly cannot grow a PDU it was told the size of. Ask for one more segment instead.
    if (f.size && buf.size() >= gearproto::kHeaderSize) return static_cast<guint>(f.size);
    // A text line without its newline yet, or fewer than 12 header bytes: one more segment
    // (0 asks tcp_dissect_pdus for it; only when TCP can reassemble, else it throws).
    if (desegment_enabled() && pinfo->can_desegment) return 0;
    return static_cast<guint>(avail);
  }
  // Invalid: the bytes up to the next plausible header are garbage; skip them as one unit.
  size_t next = gearproto::find_plausible_header(buf, 1, limits);
  if (next == Bytes::npos) return static_cast<guint>(avail);
  return static_cast<guint>(next);
}

// ---------------------------------------------------------------------------------------------
// One PDU (binary message, text line, or a run of garbage)

int dissect_pdu(tvbuff_t* tvb, packet_info* pinfo, proto_tree* tree, void* /*data*/) {
  col_set_str(pinfo->cinfo, COL_PROTOCOL, "Gearman");
  const gint caplen = tvb_captured_length(tvb);
  if (caplen <= 0) return 0;
  const guint8* p = tvb_get_ptr(tvb, 0, caplen);
  Bytes buf = gearproto::as_bytes(p, static_cast<size_t>(caplen));
  gearproto::Frame f = gearproto::frame_message(buf, limits);

  ConvData* cd = get_conv(pinfo);
  const bool binary = p[0] == '\0';
  if (!cd->server_known) learn_server(cd, pinfo, buf);

  const guint32 key = pdu_key(tvb);
  PduData* pd = static_cast<PduData*>(p_get_proto_data(wmem_file_scope(), pinfo, proto_gearman, key));
  bool track = false;
  if (!pd) {
    pd = wmem_new0(wmem_file_scope(), PduData);
    p_add_proto_data(wmem_file_scope(), pinfo, proto_gearman, key, pd);
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
  if (!garbage && binary && caplen < static_cast<gint>(gearproto::kHeaderSize)) {
    // The start of a header and nothing more (desegmentation off, or the capture ends here).
    proto_item* gi = proto_tree_add_item(pdu_tree, hf_garbage, tvb, 0, caplen, ENC_NA);
    expert_add_info_format(pinfo, gi, &ei_truncated, "Only %d bytes of a 12-byte header", caplen);
    col_append_sep_fstr(pinfo->cinfo, COL_INFO, "; ", "[partial header]");
    return caplen;
  }
  if (garbage) {
    proto_item_append_text(ti, ", %d bytes skipped", caplen);
    proto_item* gi = proto_tree_add_item(pdu_tree, hf_garbage, tvb, 0, caplen, ENC_NA);
    if (f.error == gearproto::FrameError::Oversize) expert_add_info(pinfo, gi, &ei_oversize);
    else if (f.error == gearproto::FrameError::BadMagic) expert_add_info(pinfo, gi, &ei_bad_magic);
    expert_add_info_format(pinfo, gi, &ei_resync, "Skipped %d bytes that are not Gearman to resynchronise", caplen);
    col_append_sep_fstr(pinfo->cinfo, COL_INFO, "; ", "[%d bytes skipped]", caplen);
    // Bytes that are not Gearman in a Gearman stream: garbled, or the capture lost a segment and
    // this one starts inside a message. Requests and answers may be missing, so the in-order
    // pairing of this connection starts afresh (the analyzer's rule at gaps and garbage).
    if (track) track_lost_bytes(cd, pinfo);
    return caplen;
  }

  int n = binary ? dissect_binary(tvb, pinfo, pdu_tree, ti, cd, pd, track, tr)
                 : dissect_text(tvb, pinfo, pdu_tree, ti, cd, pd, track, tr);
  if (pd->request_frame) {
    tr->request_frame = pd->request_frame;
    tr->request_ts = pd->request_ts;
    tr->request_type = pd->request_type;
    nstime_t d;
    nstime_delta(&d, &pinfo->abs_ts, &pd->request_ts);
    tr->response_ms = nstime_to_msec(&d);
  }
  tap_queue_packet(gearman_tap, pinfo, tr);
  return n;
}

}  // namespace

int dissect_gearman(tvbuff_t* tvb, packet_info* pinfo, proto_tree* tree, void* data) {
  col_set_str(pinfo->cinfo, COL_PROTOCOL, "Gearman");
  col_clear(pinfo->cinfo, COL_INFO);
  tcp_dissect_pdus(tvb, pinfo, tree, desegment_enabled(), 1, get_pdu_len, dissect_pdu, data);
  return tvb_captured_length(tvb);
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
