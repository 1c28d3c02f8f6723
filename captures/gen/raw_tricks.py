#!/usr/bin/env python3
"""raw_tricks.py PORT MODE - raw-socket traffic that provokes real gearmand replies.

MODE admin-text   one connection, admin text commands sent the way a human
                  with nc would (LF endings), including: a line split across
                  two TCP segments, several commands in one send(), and an
                  unknown command.
MODE admin-shutdown  "shutdown graceful" on its own connection (last thing).
MODE binary-tricks   binary PDUs: several PDUs in one send(), a PDU whose
                  12-byte header is split across two segments, WORK_FAIL and
                  WORK_COMPLETE for a job handle gearmand never issued
                  (gearmand answers ERROR JOB_NOT_FOUND), and a background
                  submit beyond a "maxqueue" limit (gearmand answers ERROR).
Every line/PDU sent is echoed to stdout as SENT ... for the manifest notes.
"""
import socket
import struct
import sys
import time

port = int(sys.argv[1])
mode = sys.argv[2]


def conn():
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def drain(s, wait=0.3):
    """Read whatever arrives within `wait` seconds of quiet."""
    s.settimeout(wait)
    got = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
    except socket.timeout:
        pass
    return got


def req(typ, *args):
    data = b"\0".join(a if isinstance(a, bytes) else a.encode() for a in args)
    return b"\0REQ" + struct.pack(">II", typ, len(data)) + data


def admin_text():
    s = conn()

    def cmd(line, note=""):
        s.sendall(line.encode())
        print("SENT %r %s" % (line, note))
        r = drain(s)
        sys.stdout.write("".join("  < %r\n" % l for l in r.decode("latin-1").splitlines(True)))

    for line in ["workers\n", "status\n", "prioritystatus\n",
                 "show jobs\n", "show unique jobs\n",
                 "maxqueue adm_queued\n", "maxqueue adm_queued 10\n",
                 "maxqueue adm_queued 5 10 15\n",
                 "create function adm_created\n", "status\n",
                 "drop function adm_created\n",
                 "cancel job H:gearcap:2\n", "show jobs\n",
                 "getpid\n", "verbose\n", "version\n",
                 "bogus\n"]:
        cmd(line)
    # one admin line split across two TCP segments
    s.sendall(b"prio")
    print("SENT %r (first half)" % "prio")
    time.sleep(0.2)
    cmd("ritystatus\n", "(second half)")
    s.sendall(b"sta")
    print("SENT %r (first half)" % "sta")
    time.sleep(0.2)
    cmd("tus\n", "(second half)")
    # several admin commands in one send()
    cmd("version\ngetpid\nstatus\nshow unique jobs\n", "(four commands, one send)")
    s.close()


def admin_shutdown():
    # gearmand 1.1.20+ds answers both with ERR UNKNOWN_COMMAND and keeps
    # running; make-captures.sh stops it with SIGTERM afterwards.
    for line in (b"shutdown graceful\n", b"shutdown\n"):
        s = conn()
        s.sendall(line)
        print("SENT %r" % line)
        print("  < %r" % drain(s, 1.0))
        s.close()


def binary_tricks():
    # several binary PDUs in one send(): ECHO_REQ, SUBMIT_JOB_BG x2, GET_STATUS
    s = conn()
    blob = (req(16, "three pdus in one segment") +
            req(18, "raw_bg", "raw-u-1", "first") +
            req(18, "raw_bg", "raw-u-2", "second") +
            req(15, "H:gearcap:1"))
    s.sendall(blob)
    print("SENT ECHO_REQ+SUBMIT_JOB_BG+SUBMIT_JOB_BG+GET_STATUS in one send (%d bytes)" % len(blob))
    print("  < %r" % drain(s))
    # a PDU whose header is split across two segments, then the data
    p = req(16, "split header")
    s.sendall(p[:6])
    time.sleep(0.2)
    s.sendall(p[6:])
    print("SENT ECHO_REQ split after 6 header bytes")
    print("  < %r" % drain(s))
    # a PDU whose data is split
    p = req(18, "raw_bg", "raw-u-3", "data split across segments")
    s.sendall(p[:20])
    time.sleep(0.2)
    s.sendall(p[20:])
    print("SENT SUBMIT_JOB_BG split inside the data")
    print("  < %r" % drain(s))
    s.close()

    # a worker that reports results for a handle gearmand never issued
    w = conn()
    w.sendall(req(22, "raw-worker"))
    w.sendall(req(14, "H:gearcap:999"))
    print("SENT SET_CLIENT_ID, WORK_FAIL for unknown handle H:gearcap:999")
    print("  < %r" % drain(w))
    w.sendall(req(13, "H:gearcap:998", "result nobody wants"))
    print("SENT WORK_COMPLETE for unknown handle H:gearcap:998")
    print("  < %r" % drain(w))
    w.close()

    # maxqueue: gearmand only limits functions it already knows, so queue
    # one job first, then limit raw_limited to 1 and submit another one:
    # gearmand refuses it with ERROR QUEUE_ERROR instead of JOB_CREATED.
    c = conn()
    c.sendall(req(18, "raw_limited", "raw-lim-1", "queue me"))
    print("SENT SUBMIT_JOB_BG raw_limited raw-lim-1")
    print("  < %r" % drain(c))
    a = conn()
    a.sendall(b"maxqueue raw_limited 1\n")
    print("SENT 'maxqueue raw_limited 1\\n'")
    print("  < %r" % drain(a))
    a.close()
    c.sendall(req(18, "raw_limited", "raw-lim-2", "queue me too"))
    print("SENT SUBMIT_JOB_BG raw_limited raw-lim-2")
    print("  < %r" % drain(c))
    c.close()


{"admin-text": admin_text, "admin-shutdown": admin_shutdown,
 "binary-tricks": binary_tricks}[mode]()
