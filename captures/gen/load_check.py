#!/usr/bin/env python3
"""Independent check of a load capture (captures/make-load-capture.sh).

Reads the pcap with count_pdus.py's own classic-pcap parser (not tshark, not
the project's decoder), reassembles each TCP direction by sequence number as
the frames come, and cuts each direction into binary PDUs. Every PDU is
stamped with the number of the frame that completed it, so "before" below
means "earlier in the capture" (frame order, which on one loopback interface
is the order the kernel sent the segments).

It reports:
  * frames, PDUs by type, connections (and how many were closed by FINs);
  * jobs seen on the wire (one per JOB_CREATED handle), by function and by
    the worker's terminal packet, and the foreground results sent to clients;
  * reordering: handles whose JOB_ASSIGN*, whose worker's WORK_COMPLETE /
    WORK_FAIL / WORK_EXCEPTION, or whose relayed result to the client come
    before the JOB_CREATED naming the same handle;
  * pipelining: the most submits a client had sent before gearmand answered.

With --truth FILE (the load program's truth file) it also compares the jobs
on the wire with what the load program counted, and exits 1 on any
difference or on a capture that is not whole (gaps, unanswered submits, jobs
without a worker result, connections not closed): such a capture is not
evidence.

Usage: load_check.py LOAD.pcap [--port 4730] [--truth load.truth.json] [--json OUT]
"""
import argparse
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from count_pdus import NAMES, SUBMITS, TERMINAL, read_pcap_frames  # noqa: E402

JOB_CREATED, JOB_ASSIGN, JOB_ASSIGN_UNIQ, JOB_ASSIGN_ALL = 8, 11, 31, 40
ASSIGNS = (JOB_ASSIGN, JOB_ASSIGN_UNIQ, JOB_ASSIGN_ALL)
FIN, SYN, RST = 0x01, 0x02, 0x04


class Direction:
    """One TCP direction, reassembled as segments arrive, cut into PDUs."""

    def __init__(self):
        self.next = None        # next expected sequence number
        self.ahead = {}         # seq -> payload, segments past a hole
        self.buf = bytearray()
        self.gaps = 0
        self.retransmitted = self.out_of_order = 0
        self.fin = False

    def add(self, seq, flags, payload, out):
        """Feed one segment; append complete PDUs as (type, magic, data) to out."""
        if flags & SYN:
            self.next = (seq + 1) & 0xffffffff
            return
        if flags & FIN:
            self.fin = True
        if not payload:
            return
        if self.next is None:   # joined mid-stream: not expected in a load capture
            self.gaps += 1
            self.next = seq
        rel = (seq - self.next) & 0xffffffff
        if rel >= 0x80000000:   # wholly or partly old (retransmission)
            self.retransmitted += 1
            skip = (self.next - seq) & 0xffffffff
            if skip >= len(payload):
                return
            payload, seq = payload[skip:], self.next
        elif rel > 0:           # past a hole: keep until it is filled
            self.out_of_order += 1
            if len(payload) > len(self.ahead.get(seq, b"")):
                self.ahead[seq] = payload
            return
        self.buf += payload
        self.next = (seq + len(payload)) & 0xffffffff
        while self.ahead:       # segments the hole was hiding
            more = False
            for s in list(self.ahead):
                r = (s - self.next) & 0xffffffff
                p = self.ahead[s]
                if r >= 0x80000000 or r == 0:
                    del self.ahead[s]
                    skip = (self.next - s) & 0xffffffff
                    if skip < len(p):
                        self.buf += p[skip:]
                        self.next = (self.next + len(p) - skip) & 0xffffffff
                        more = True
            if not more:
                break
        self.cut(out)

    def cut(self, out):
        buf, i = self.buf, 0
        while len(buf) - i >= 12:
            if buf[i] != 0:     # admin text: the load sends none
                j = buf.find(b"\n", i)
                if j < 0:
                    break
                out.append((None, None, bytes(buf[i:j + 1])))
                i = j + 1
                continue
            typ, ln = struct.unpack_from(">II", buf, i + 4)
            if len(buf) - i - 12 < ln:
                break
            out.append((typ, bytes(buf[i + 1:i + 4]), bytes(buf[i + 12:i + 12 + ln])))
            i += 12 + ln
        if i:
            del buf[:i]


class Job:
    __slots__ = ("function", "background", "priority", "created", "assign", "worker",
                 "outcome", "client", "client_outcome")

    def __init__(self):
        self.function = self.background = self.priority = self.outcome = None
        self.client_outcome = None
        self.created = self.assign = self.worker = self.client = 0


def analyse(path, port):
    conns = {}                  # (client, server) -> [to server, to client]
    pending = {}                # client-side key -> [(function, bg, priority)] unanswered submits
    in_flight_max = {}          # client-side key -> most unanswered submits at once
    jobs = {}                   # handle -> Job
    by_type = {}
    problems = []
    frames = pdus = text_lines = 0
    unknown = {"assign": 0, "worker_result": 0, "client_result": 0}

    for frame, _ts, src, dst, seq, flags, payload in read_pcap_frames(path):
        frames += 1
        if dst[1] == port:
            key, idx = (src, dst), 0
        elif src[1] == port:
            key, idx = (dst, src), 1
        else:
            continue
        if key not in conns:
            conns[key] = [Direction(), Direction()]
        out = []
        conns[key][idx].add(seq, flags, payload, out)
        if flags & RST:
            problems.append("connection %s:%d reset in frame %d" % (key[0] + (frame,)))
        for typ, _magic, data in out:
            if typ is None:
                text_lines += 1
                continue
            pdus += 1
            name = NAMES.get(typ, "UNKNOWN_%d" % typ)
            by_type[name] = by_type.get(name, 0) + 1
            if idx == 0 and typ in SUBMITS:
                args = data.split(b"\0", 2)
                q = pending.setdefault(key, [])
                q.append((args[0].decode(), SUBMITS[typ][0], SUBMITS[typ][1]))
                if len(q) > in_flight_max.get(key, 0):
                    in_flight_max[key] = len(q)
            elif idx == 1 and typ == JOB_CREATED:
                h = data.decode()
                q = pending.get(key)
                if not q:
                    problems.append("JOB_CREATED %s in frame %d answers no submit" % (h, frame))
                    continue
                fn, bg, prio = q.pop(0)
                j = jobs.get(h)
                if j is None:
                    j = jobs[h] = Job()
                elif j.created:
                    problems.append("second JOB_CREATED for %s (frame %d): coalesced" % (h, frame))
                    continue
                j.function, j.background, j.priority, j.created = fn, bg, prio, frame
            elif idx == 1 and typ in ASSIGNS:
                args = data.split(b"\0", 2)
                h = args[0].decode()
                j = jobs.get(h)
                if j is None:   # before its JOB_CREATED: the reordering we look for
                    j = jobs[h] = Job()
                if j.assign:
                    problems.append("%s assigned twice (frame %d)" % (h, frame))
                j.assign = frame
            elif idx == 0 and typ in TERMINAL:
                h = data.split(b"\0", 1)[0].decode()
                j = jobs.get(h)
                if j is None or not j.assign:
                    unknown["worker_result"] += 1
                    continue
                if not j.worker:
                    j.worker, j.outcome = frame, TERMINAL[typ]
            elif idx == 1 and typ in TERMINAL:
                h = data.split(b"\0", 1)[0].decode()
                j = jobs.get(h)
                if j is None:
                    unknown["client_result"] += 1
                    continue
                if not j.client:
                    j.client, j.client_outcome = frame, TERMINAL[typ]

    for key, (up, down) in conns.items():
        for d, name in ((up, "to server"), (down, "to client")):
            if d.gaps or d.ahead:
                problems.append("connection %s:%d %s: bytes missing" % (key[0] + (name,)))
            if d.buf:
                problems.append("connection %s:%d %s: %d bytes of an incomplete PDU at the end"
                                % (key[0] + (name, len(d.buf))))
    for key, q in pending.items():
        if q:
            problems.append("connection %s:%d: %d submits never answered" % (key[0] + (len(q),)))

    functions = {}
    reorder = {"assign_before_created": 0, "worker_result_before_created": 0,
               "background_worker_result_before_created": 0,
               "client_result_before_created": 0, "max_frames_assign_before_created": 0}
    totals = {"jobs": 0, "background": 0, "complete": 0, "fail": 0, "exception": 0,
              "incomplete": 0}
    for h, j in jobs.items():
        if not j.created:
            problems.append("%s assigned in frame %d but never created" % (h, j.assign))
            continue
        f = functions.setdefault(j.function, {
            "jobs": 0, "background": 0, "complete": 0, "fail": 0, "exception": 0,
            "incomplete": 0, "clients_saw": {"complete": 0, "fail": 0, "exception": 0},
            "submitted": {"foreground": {"high": 0, "normal": 0, "low": 0},
                          "background": {"high": 0, "normal": 0, "low": 0}}})
        out = j.outcome or "incomplete"
        for d in (f, totals):
            d["jobs"] += 1
            d[out] += 1
            d["background"] += j.background
        f["submitted"]["background" if j.background else "foreground"][j.priority] += 1
        if j.client_outcome:
            f["clients_saw"][j.client_outcome] += 1
        fr = f.setdefault("reordering", {"assign_before_created": 0,
                                          "worker_result_before_created": 0,
                                          "background_worker_result_before_created": 0})
        if j.assign and j.assign < j.created:
            reorder["assign_before_created"] += 1
            fr["assign_before_created"] += 1
            reorder["max_frames_assign_before_created"] = max(
                reorder["max_frames_assign_before_created"], j.created - j.assign)
        if j.worker and j.worker < j.created:
            reorder["worker_result_before_created"] += 1
            fr["worker_result_before_created"] += 1
            if j.background:
                reorder["background_worker_result_before_created"] += 1
                fr["background_worker_result_before_created"] += 1
        if j.client and j.client < j.created:
            reorder["client_result_before_created"] += 1

    clients = {k: v for k, v in in_flight_max.items()}
    closed = sum(1 for up, down in conns.values() if up.fin and down.fin)
    return {
        "frames": frames,
        "pdus": pdus,
        "admin_text_lines": text_lines,
        "pdus_by_type": dict(sorted(by_type.items())),
        "connections": len(conns),
        "connections_closed": closed,
        "retransmitted_segments": sum(d.retransmitted for c in conns.values() for d in c),
        "out_of_order_segments": sum(d.out_of_order for c in conns.values() for d in c),
        "client_connections": len(clients),
        "max_submits_in_flight": max(clients.values()) if clients else 0,
        "min_of_max_submits_in_flight": min(clients.values()) if clients else 0,
        "jobs": totals,
        "functions": dict(sorted(functions.items())),
        "reordering": reorder,
        "results_for_unknown_handles": unknown,
        "problems": problems,
    }


def compare(r, truth):
    """Differences between the wire and the load program's counters."""
    diffs = []
    tj = truth["jobs"]
    if r["jobs"]["jobs"] != tj["total"]:
        diffs.append("jobs: wire %d, truth %d" % (r["jobs"]["jobs"], tj["total"]))
    if r["jobs"]["incomplete"]:
        diffs.append("%d jobs without a worker result on the wire" % r["jobs"]["incomplete"])
    if r["connections"] != truth["connections"]["total"]:
        diffs.append("connections: wire %d, truth %d" % (r["connections"], truth["connections"]["total"]))
    if r["connections_closed"] != r["connections"]:
        diffs.append("%d of %d connections closed on the wire"
                     % (r["connections_closed"], r["connections"]))
    for name in sorted(set(truth["functions"]) | set(r["functions"])):
        t, w = truth["functions"].get(name), r["functions"].get(name)
        if t is None or w is None:
            diffs.append("function %s only in the %s" % (name, "wire" if t is None else "truth"))
            continue
        pairs = [("jobs", w["jobs"], t["jobs"]), ("background", w["background"], t["background"])]
        pairs += [(o, w[o], t["workers"][o]) for o in ("complete", "fail", "exception")]
        pairs += [("clients_saw." + o, w["clients_saw"][o], t["clients_saw"][o])
                  for o in ("complete", "fail", "exception")]
        pairs += [("submitted.%s.%s" % (fb, p), w["submitted"][fb][p], t["submitted"][fb][p])
                  for fb in ("foreground", "background") for p in ("high", "normal", "low")]
        for what, wv, tv in pairs:
            if wv != tv:
                diffs.append("%s %s: wire %d, truth %d" % (name, what, wv, tv))
    return diffs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("pcap")
    ap.add_argument("--port", type=int, default=4730)
    ap.add_argument("--truth", help="the load program's truth file: compare, exit 1 on differences")
    ap.add_argument("--json", help="write the full report here")
    o = ap.parse_args()
    r = analyse(o.pcap, o.port)
    if o.json:
        with open(o.json, "w") as f:
            json.dump(r, f, indent=2)
            f.write("\n")
    ro, jb = r["reordering"], r["jobs"]
    print("%s: %d frames, %d PDUs, %d connections (%d closed), %d jobs (%d background): "
          "%d complete, %d fail, %d exception, %d incomplete"
          % (o.pcap, r["frames"], r["pdus"], r["connections"], r["connections_closed"],
             jb["jobs"], jb["background"], jb["complete"], jb["fail"], jb["exception"],
             jb["incomplete"]))
    print("pipelining: most submits in flight on one client connection: %d (least of the "
          "clients' maxima: %d)" % (r["max_submits_in_flight"], r["min_of_max_submits_in_flight"]))
    print("reordering: %d handles with JOB_ASSIGN before their JOB_CREATED (by up to %d frames), "
          "%d with the worker's result before it (%d of them background), %d with the "
          "client's result before it"
          % (ro["assign_before_created"], ro["max_frames_assign_before_created"],
             ro["worker_result_before_created"], ro["background_worker_result_before_created"],
             ro["client_result_before_created"]))
    for name, f in r["functions"].items():
        fr = f["reordering"]
        print("  %-12s %6d jobs: %5d assigned, %5d worker results (%d background) before JOB_CREATED"
              % (name, f["jobs"], fr["assign_before_created"], fr["worker_result_before_created"],
                 fr["background_worker_result_before_created"]))
    print("segments: %d retransmitted, %d out of order" % (r["retransmitted_segments"],
                                                           r["out_of_order_segments"]))
    bad = list(r["problems"])
    if o.truth:
        with open(o.truth) as f:
            bad += compare(r, json.load(f))
    for p in bad[:50]:
        print("PROBLEM: " + p, file=sys.stderr)
    if len(bad) > 50:
        print("PROBLEM: ... and %d more" % (len(bad) - 50), file=sys.stderr)
    if o.truth:
        print("wire vs truth: %s" % ("DIFFERENT" if bad else "same"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
