// Per-direction stream state and the first pass's SegmentPlans (reassembly.h says why the plugin
// gathers messages across TCP segments itself). Plain data structures in file scope; nothing here
// calls Wireshark code that can throw.

#include "reassembly.h"

#include <epan/conversation.h>

#include <cstring>

namespace gearman_plugin {

namespace {

// No TCP window is larger than 2^30 bytes (RFC 7323): data further behind the stream's end than
// that is not a retransmission but a jump (the analyzer's rule, netstream/tcp_direction).
constexpr guint32 kMaxWindow = 1u << 30;

struct PlanEntry {
  PlanEntry* next;  // other calls in the same frame (data TCP put together, then the rest)
  guint32 seq;
  SegmentPlan plan;
};

struct Direction {
  bool started;
  guint32 next_seq;      // sequence number after the last byte taken in
  Gathered* pending;     // unfinished bytes, or nullptr
  wmem_tree_t* plans;    // frame number -> PlanEntry list
  // The last call of the first pass, for the same data handed to us twice in one frame.
  bool has_last;
  guint32 last_frame, last_seq;
  const SegmentPlan* last_plan;
};

}  // namespace

struct StreamState {
  address first_src;  // the endpoint whose data is dir[0]
  guint32 first_srcport;
  Direction dir[2];
};

namespace {

Direction* direction_of(ConvData* cd, packet_info* pinfo) {
  if (!cd->stream) {
    StreamState* s = wmem_new0(wmem_file_scope(), StreamState);
    copy_address_wmem(wmem_file_scope(), &s->first_src, &pinfo->src);
    s->first_srcport = pinfo->srcport;
    for (Direction& d : s->dir) d.plans = wmem_tree_new(wmem_file_scope());
    cd->stream = s;
  }
  StreamState* s = cd->stream;
  const bool first = pinfo->srcport == s->first_srcport && addresses_equal(&pinfo->src, &s->first_src);
  return &s->dir[first ? 0 : 1];
}

Gathered* new_gathered() {
  Gathered* g = wmem_new0(wmem_file_scope(), Gathered);
  g->pieces = wmem_array_new(wmem_file_scope(), sizeof(Piece));
  return g;
}

// Grows by what arrived (doubling), never by a length read from the wire.
bool append(Gathered* g, const guint8* p, guint32 n) {
  if (n == 0) return true;
  if (g->len + n < g->len) return false;
  if (g->len + n > g->cap) {
    guint32 cap = g->cap > 0x7fffffffu ? 0xffffffffu : g->cap * 2;
    if (cap < g->len + n) cap = g->len + n;
    if (cap < 256) cap = 256;
    g->bytes = static_cast<guint8*>(wmem_realloc(wmem_file_scope(), g->bytes, cap));
    g->cap = cap;
  }
  std::memcpy(g->bytes + g->len, p, n);
  g->len += n;
  return true;
}

void add_piece(Gathered* g, guint32 frame, guint32 len) {
  if (len == 0) return;
  Piece pc{frame, len};
  wmem_array_append(g->pieces, &pc, 1);
}

guint32 first_frame(const Gathered* g) {
  if (wmem_array_get_count(g->pieces) == 0) return 0;
  return static_cast<const Piece*>(wmem_array_index(g->pieces, 0))->frame;
}

// A unit is whole when its length is known and within `avail`.
bool whole(guint u, guint32 avail) { return u != 0 && u <= avail; }

const SegmentPlan* lookup(const Direction* d, guint32 frame, guint32 seq) {
  for (PlanEntry* e = static_cast<PlanEntry*>(wmem_tree_lookup32(d->plans, frame)); e; e = e->next)
    if (e->seq == seq) return &e->plan;
  return nullptr;
}

const SegmentPlan* store(Direction* d, guint32 frame, guint32 seq, const SegmentPlan& p) {
  PlanEntry* e = wmem_new(wmem_file_scope(), PlanEntry);
  e->seq = seq;
  e->plan = p;
  e->next = static_cast<PlanEntry*>(wmem_tree_lookup32(d->plans, frame));
  wmem_tree_insert32(d->plans, frame, e);
  return &e->plan;
}

// The gathered bytes `g` (the first `before` of them from earlier segments, the rest from this
// one) give up their leading units up to the first unit boundary at or past `before`: they are
// complete now. Returns that boundary, or 0 when the unit that holds the end of the earlier bytes
// still needs more (then nothing is complete yet: units inside the earlier bytes wait with it,
// which only happens to runs of bytes skipped as garbage).
guint32 complete_units(Gathered* g, guint32 before, packet_info* pinfo) {
  wmem_array_t* units = wmem_array_new(pinfo->pool, sizeof(guint32));
  guint32 off = 0;
  while (off < g->len) {
    const guint32 avail = g->len - off;
    const guint u = unit_length(gearproto::as_bytes(g->bytes + off, avail), true);
    if (!whole(u, avail)) return 0;
    const guint32 u32 = static_cast<guint32>(u);
    wmem_array_append(units, &u32, 1);
    off += u32;
    if (off >= before) break;
  }
  if (off < before) return 0;  // cannot happen: the loop ends at g->len >= before
  g->n_units = wmem_array_get_count(units);
  g->units = static_cast<guint32*>(wmem_memdup(wmem_file_scope(), wmem_array_get_raw(units),
                                               g->n_units * sizeof(guint32)));
  return off;
}

}  // namespace

const SegmentPlan* plan_segment(ConvData* cd, packet_info* pinfo, guint32 seq, const guint8* data, guint32 len) {
  Direction* d = direction_of(cd, pinfo);
  if (PINFO_FD_VISITED(pinfo)) return lookup(d, pinfo->num, seq);
  if (d->has_last && d->last_frame == pinfo->num && d->last_seq == seq) return d->last_plan;

  SegmentPlan p;
  std::memset(&p, 0, sizeof p);
  guint32 old = 0;
  if (d->started) {
    const guint32 behind = d->next_seq - seq;  // modulo 2^32
    const guint32 ahead = seq - d->next_seq;
    if (seq == d->next_seq) {
      // in order
    } else if (behind <= kMaxWindow) {
      old = behind < len ? behind : len;  // already taken in: a retransmission, or a probe
    } else {
      // Bytes missing before this data (or a jump no window allows): what was unfinished is lost.
      if (ahead <= kMaxWindow) p.lost_before = ahead;
      if (d->pending) {
        p.cut_first_frame = first_frame(d->pending);
        d->pending = nullptr;
      }
    }
  }
  p.old_len = old;
  if (old < len || !d->started) d->next_seq = seq + len;
  d->started = true;

  const guint8* b = data + old;
  const guint32 n = len - old;
  guint32 pos = 0;  // in b
  bool all_pending = false;
  if (n && d->pending) {
    Gathered* g = d->pending;
    const guint32 before = g->len;
    guint32 end = append(g, b, n) ? complete_units(g, before, pinfo) : 0;
    if (end) {
      const guint32 k = end - before;
      g->len = end;  // what followed is this segment's own, framed from its tvb below
      if (g->cap > g->len) {
        g->bytes = static_cast<guint8*>(wmem_realloc(wmem_file_scope(), g->bytes, g->len));
        g->cap = g->len;
      }
      g->done_frame = pinfo->num;
      add_piece(g, pinfo->num, k);
      p.completes = g;
      p.complete_len = k;
      pos = k;
      d->pending = nullptr;
    } else if (g->len == before + n) {
      add_piece(g, pinfo->num, n);
      p.tail = g;
      all_pending = true;
    } else {
      // Over 4 GiB gathered: give the message up, start afresh with this data.
      p.cut_first_frame = first_frame(g);
      d->pending = nullptr;
    }
  }
  if (!all_pending) {
    while (pos < n) {
      const guint u = unit_length(gearproto::as_bytes(b + pos, n - pos), true);
      if (!whole(u, n - pos)) break;
      pos += static_cast<guint32>(u);
    }
    p.direct_end = old + pos;
    if (pos < n) {
      Gathered* g = new_gathered();
      append(g, b + pos, n - pos);
      add_piece(g, pinfo->num, n - pos);
      d->pending = g;
      p.tail = g;
    }
  } else {
    p.direct_end = old;
  }

  const bool plain = !p.old_len && !p.lost_before && !p.cut_first_frame && !p.completes && !p.tail;
  const SegmentPlan* result = plain ? nullptr : store(d, pinfo->num, seq, p);
  d->has_last = true;
  d->last_frame = pinfo->num;
  d->last_seq = seq;
  d->last_plan = result;
  return result;
}

void forget_stream(ConvData* cd, packet_info* pinfo) {
  if (PINFO_FD_VISITED(pinfo)) return;
  Direction* d = direction_of(cd, pinfo);
  d->pending = nullptr;
  d->started = false;
  d->has_last = false;
}

}  // namespace gearman_plugin
