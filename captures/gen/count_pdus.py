#!/usr/bin/env python3
"""Independent PDU counter for Gearman captures.

Reads a classic pcap (Ethernet / Linux cooked / null / raw IPv4 link types)
with its own tiny parser, reassembles each TCP direction from sequence
numbers (it does not use tshark or the project's decoder), then walks the
bytes of each direction:

  first byte NUL -> binary PDU: 4-byte magic, big-endian type, big-endian
                    length, then `length` bytes of data
  otherwise      -> one text line up to and including '\\n'

Usage:
  count_pdus.py FILE.pcap --port N            summary as JSON on stdout
  count_pdus.py FILE.pcap --port N --dump     one line per PDU (debugging)

As a module: analyse(path, port) -> dict (see bottom of file).
"""
import json
import mmap
import os
import struct
import sys

NAMES = {
    1: "CAN_DO", 2: "CANT_DO", 3: "RESET_ABILITIES", 4: "PRE_SLEEP",
    6: "NOOP", 7: "SUBMIT_JOB", 8: "JOB_CREATED", 9: "GRAB_JOB", 10: "NO_JOB",
    11: "JOB_ASSIGN", 12: "WORK_STATUS", 13: "WORK_COMPLETE", 14: "WORK_FAIL",
    15: "GET_STATUS", 16: "ECHO_REQ", 17: "ECHO_RES", 18: "SUBMIT_JOB_BG",
    19: "ERROR", 20: "STATUS_RES", 21: "SUBMIT_JOB_HIGH", 22: "SET_CLIENT_ID",
    23: "CAN_DO_TIMEOUT", 24: "ALL_YOURS", 25: "WORK_EXCEPTION",
    26: "OPTION_REQ", 27: "OPTION_RES", 28: "WORK_DATA", 29: "WORK_WARNING",
    30: "GRAB_JOB_UNIQ", 31: "JOB_ASSIGN_UNIQ", 32: "SUBMIT_JOB_HIGH_BG",
    33: "SUBMIT_JOB_LOW", 34: "SUBMIT_JOB_LOW_BG", 35: "SUBMIT_JOB_SCHED",
    36: "SUBMIT_JOB_EPOCH", 37: "SUBMIT_REDUCE_JOB",
    38: "SUBMIT_REDUCE_JOB_BACKGROUND", 39: "GRAB_JOB_ALL",
    40: "JOB_ASSIGN_ALL", 41: "GET_STATUS_UNIQUE", 42: "STATUS_RES_UNIQUE",
}
SUBMITS = {7: (False, "normal"), 18: (True, "normal"), 21: (False, "high"),
           32: (True, "high"), 33: (False, "low"), 34: (True, "low"),
           35: (True, "sched"), 36: (True, "epoch"), 37: (False, "reduce"),
           38: (True, "reduce")}
TERMINAL = {13: "complete", 14: "fail", 25: "exception"}


def read_pcap(path):
    """Yield (ts, (src, sport), (dst, dport), seq, flags, payload) for each IPv4/TCP frame."""
    for _frame, ts, s, d, seq, flags, payload in read_pcap_frames(path):
        yield ts, s, d, seq, flags, payload


def read_pcap_frames(path):
    """Like read_pcap, with the 1-based frame number (as tshark counts) first.

    The file is mapped, not read, so captures of a million frames fit."""
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            raise SystemExit("%s: empty file" % path)
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise SystemExit("%s: not a classic pcap" % path)
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(e + "I", data[20:24])[0]
    off = 24
    frame_no = 0
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        frame_no += 1
        frame = data[off:off + incl]
        off += incl
        if incl != orig:
            raise SystemExit("%s: frame truncated by snaplen" % path)
        ts = sec + frac / (1e9 if nano else 1e6)
        if linktype == 1:            # Ethernet
            etype = struct.unpack(">H", frame[12:14])[0]
            ip = frame[14:]
        elif linktype == 113:        # Linux cooked
            etype = struct.unpack(">H", frame[14:16])[0]
            ip = frame[16:]
        elif linktype == 0:          # BSD null
            etype = 0x0800
            ip = frame[4:]
        elif linktype in (101, 12, 14):  # raw IP
            etype = 0x0800
            ip = frame
        else:
            raise SystemExit("unsupported link type %d" % linktype)
        if etype != 0x0800 or (ip[0] >> 4) != 4:
            continue
        ihl = (ip[0] & 15) * 4
        total = struct.unpack(">H", ip[2:4])[0]
        if ip[9] != 6:
            continue
        src = ".".join(str(b) for b in ip[12:16])
        dst = ".".join(str(b) for b in ip[16:20])
        tcp = ip[ihl:total]
        sport, dport, seq, ack = struct.unpack(">HHII", tcp[:12])
        doff = (tcp[12] >> 4) * 4
        flags = tcp[13]
        yield frame_no, ts, (src, sport), (dst, dport), seq, flags, tcp[doff:]


class Direction:
    def __init__(self):
        self.isn = None
        self.segs = {}          # relative seq -> (ts, payload)

    def add(self, ts, seq, flags, payload):
        if flags & 0x02:        # SYN
            self.isn = seq
            return
        if not payload:
            return
        if self.isn is None:    # capture started mid-stream
            self.isn = seq - 1
        rel = (seq - self.isn - 1) & 0xffffffff
        if rel not in self.segs or len(self.segs[rel][1]) < len(payload):
            self.segs[rel] = (ts, payload)

    def assemble(self):
        """Return (bytes, [(offset, ts)]) with retransmissions dropped."""
        buf = bytearray()
        marks = []
        for rel in sorted(self.segs):
            ts, p = self.segs[rel]
            if rel > len(buf):
                raise SystemExit("gap in TCP stream at %d" % rel)
            new = p[len(buf) - rel:]
            if new:
                marks.append((len(buf), ts))
                buf += new
        return bytes(buf), marks


def ts_at(marks, offset):
    t = marks[0][1]
    for o, ts in marks:
        if o > offset:
            break
        t = ts
    return t


def walk(buf, marks):
    """Split one direction into PDUs: (ts, kind, type/line, magic, data)."""
    out = []
    i = 0
    while i < len(buf):
        ts = ts_at(marks, i)
        if buf[i] == 0:
            if i + 12 > len(buf):
                out.append((ts, "trunc", None, None, buf[i:]))
                break
            magic = buf[i:i + 4]
            typ, ln = struct.unpack(">II", buf[i + 4:i + 12])
            data = buf[i + 12:i + 12 + ln]
            if len(data) < ln:
                out.append((ts, "trunc", typ, magic, data))
                break
            out.append((ts, "bin", typ, magic, data))
            i += 12 + ln
        else:
            j = buf.find(b"\n", i)
            if j < 0:
                out.append((ts, "textfrag", None, None, buf[i:]))
                break
            out.append((ts, "text", buf[i:j + 1], None, None))
            i = j + 1
    return out


def analyse(path, port):
    streams = {}    # key (client, server) -> [client->server Direction, server->client Direction]
    order = []
    for ts, s, d, seq, flags, payload in read_pcap(path):
        if d[1] == port:
            key, idx = (s, d), 0
        elif s[1] == port:
            key, idx = (d, s), 1
        else:
            continue
        if key not in streams:
            streams[key] = [Direction(), Direction()]
            order.append(key)
        streams[key][idx].add(ts, seq, flags, payload)

    events = []     # (ts, stream#, dir, kind, type/line, magic, data)
    problems = []
    for n, key in enumerate(order):
        for idx in (0, 1):
            buf, marks = streams[key][idx].assemble()
            if not buf:
                continue
            for ts, kind, a, magic, data in walk(buf, marks):
                if kind in ("trunc", "textfrag"):
                    problems.append("stream %d dir %d: incomplete PDU at end" % (n, idx))
                    continue
                events.append((ts, n, idx, kind, a, magic, data))
    events.sort(key=lambda e: (e[0], e[1], e[2]))   # stable within a direction

    # A worker's WORK_COMPLETE/FAIL/EXCEPTION that the server answers with ERROR (its next packet
    # on that connection) was refused: Gearman::Server answers a WORK_COMPLETE without the NUL
    # separator with ERROR not_worker and fails the job itself. Such a packet ends nothing.
    refused = set()
    last_terminal = {}      # stream -> index of a REQ terminal packet not yet followed by a reply
    for i, (ts, n, idx, kind, a, magic, data) in enumerate(events):
        if kind != "bin":
            continue
        if idx == 0 and a in TERMINAL:
            last_terminal[n] = i
        elif idx == 1 and n in last_terminal:
            if a == 19:
                refused.add(last_terminal[n])
            del last_terminal[n]

    by_type, by_type_magic = {}, {}
    admin_cmds, reply_lines = [], 0
    binary_total = 0
    jobs = {}           # handle -> dict
    job_order = []
    pending = {}        # stream -> list of (function, unique, background, kind)
    coalesced = 0
    errors = []
    for i, (ts, n, idx, kind, a, magic, data) in enumerate(events):
        if kind == "text":
            if idx == 0:
                admin_cmds.append(a.rstrip(b"\r\n").decode("latin-1"))
            else:
                reply_lines += 1
            continue
        binary_total += 1
        name = NAMES.get(a, "UNKNOWN_%d" % a)
        m = magic[1:].decode("latin-1")
        by_type[name] = by_type.get(name, 0) + 1
        by_type_magic["%s/%s" % (name, m)] = by_type_magic.get("%s/%s" % (name, m), 0) + 1
        args = data.split(b"\0")
        if idx == 0 and a in SUBMITS:
            bg, prio = SUBMITS[a]
            pending.setdefault(n, []).append((args[0].decode(), args[1].decode(), bg, name))
        elif idx == 1 and a == 8:
            h = data.decode()
            sub = pending.get(n, [])
            if not sub:
                problems.append("JOB_CREATED %s without a pending submit" % h)
                continue
            fn, uq, bg, sname = sub.pop(0)
            if h in jobs:
                coalesced += 1
                jobs[h]["submits"].append(sname)
            else:
                jobs[h] = {"handle": h, "function": fn, "unique": uq, "background": bg,
                           "submits": [sname], "outcome": None}
                job_order.append(h)
        elif idx == 1 and a == 19:
            errors.append([x.decode("latin-1") for x in args])
            if pending.get(n):   # an ERROR answering a submit consumes it
                pending[n].pop(0)
        elif idx == 0 and a in TERMINAL:
            h = args[0].decode()
            if h in jobs and jobs[h]["outcome"] is None and i not in refused:
                jobs[h]["outcome"] = TERMINAL[a]
        elif idx == 1 and a in TERMINAL:
            h = args[0].decode()
            if h in jobs and jobs[h].get("client_outcome") is None:
                jobs[h]["client_outcome"] = TERMINAL[a]

    # A job no worker ended but whose client got a result was ended by the server itself
    # (Gearman::Server fails a job its maxqueue evicts): the client's result is its outcome.
    for j in jobs.values():
        co = j.pop("client_outcome", None)
        if j["outcome"] is None:
            j["outcome"] = co

    summary = {"total": 0, "complete": 0, "fail": 0, "exception": 0, "incomplete": 0,
               "background": 0, "coalesced_submits": coalesced, "by_function": {}}
    for h in job_order:
        j = jobs[h]
        f = summary["by_function"].setdefault(j["function"], {
            "jobs": 0, "complete": 0, "fail": 0, "exception": 0, "incomplete": 0, "background": 0})
        out = j["outcome"] or "incomplete"
        for d in (summary, f):
            d["total" if d is summary else "jobs"] += 1
            d[out] += 1
            if j["background"]:
                d["background"] += 1
    for p in pending.values():
        if p:
            problems.append("submits never answered: %r" % p)
    return {
        "tcp_streams": len(order),
        "packets": {
            "binary_total": binary_total,
            "by_type": dict(sorted(by_type.items(), key=lambda kv: [k for k, v in NAMES.items() if v == kv[0]] or [99])),
            "by_type_magic": dict(sorted(by_type_magic.items())),
            "admin_commands": len(admin_cmds),
            "admin_reply_lines": reply_lines,
        },
        "admin_commands": admin_cmds,
        "jobs": summary,
        "job_list": [jobs[h] for h in job_order],
        "errors": errors,
        "problems": problems,
        "events": events,
    }


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("pcap")
    ap.add_argument("--port", type=int, default=4730)
    ap.add_argument("--dump", action="store_true")
    o = ap.parse_args()
    r = analyse(o.pcap, o.port)
    if o.dump:
        for ts, n, idx, kind, a, magic, data in r["events"]:
            arrow = "C>S" if idx == 0 else "S>C"
            if kind == "text":
                print("%.6f s%d %s TEXT %r" % (ts, n, arrow, a))
            else:
                shown = data if len(data) <= 120 else data[:120] + b"...(%d bytes)" % len(data)
                print("%.6f s%d %s %s/%s %r" % (ts, n, arrow, NAMES.get(a, a),
                                                 magic[1:].decode(), shown))
        return
    r.pop("events")
    json.dump(r, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
