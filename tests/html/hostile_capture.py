#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes a small pcap whose Gearman strings try to break out of the HTML report: a function
name, client IDs, a worker ID and an exception text with markup, quotes, a </script>, control
bytes, a bidi override and invalid UTF-8. One job, submitted, assigned, ended by WORK_EXCEPTION;
a second one queued and never assigned (a stuck job). Plain TCP over Ethernet/IPv4 with
handshakes, so the analyzer reads it as any capture.

    hostile_capture.py OUT.pcap
"""
import struct
import sys

FUNCTION = b'<img src=x onerror="alert(1)">fn</script><script>alert(2)</script>'
CLIENT_ID = b'client\'"><b>bold</b>&amp;\x01\x7f'
WORKER_ID = b'worker\xe2\x80\xae\xff\xfe</svg><svg onload=alert(3)>'
EXCEPTION = b'Traceback</script><script>alert(4)</script>\n\t\x1b[31m <a href="http://example.com/">x</a>'
HANDLE1, HANDLE2 = b'H:evil:1', b'H:evil:2'


def packet(magic, ptype, *args):
    body = b'\0'.join(args)
    return magic + struct.pack('>II', ptype, len(body)) + body


def req(ptype, *args):
    return packet(b'\0REQ', ptype, *args)


def res(ptype, *args):
    return packet(b'\0RES', ptype, *args)


class Pcap:
    def __init__(self):
        self.frames = []
        self.t = 1700000000.0

    def frame(self, src, dst, sport, dport, seq, ack, flags, payload=b''):
        self.t += 0.001
        tcp = struct.pack('>HHIIBBHHH', sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
        total = 20 + len(tcp) + len(payload)
        ip = struct.pack('>BBHHHBBH4s4s', 0x45, 0, total, 0, 0x4000, 64, 6, 0, bytes(src), bytes(dst))
        eth = b'\x02\0\0\0\0\x02' + b'\x02\0\0\0\0\x01' + b'\x08\x00'
        data = eth + ip + tcp + payload
        sec = int(self.t)
        usec = int(round((self.t - sec) * 1e6))
        self.frames.append(struct.pack('<IIII', sec, usec, len(data), len(data)) + data)

    def write(self, path):
        with open(path, 'wb') as f:
            f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for fr in self.frames:
                f.write(fr)


class Conn:
    """A TCP connection from a peer port to the server's 4730."""
    CLIENT, SERVER = [10, 0, 0, 2], [10, 0, 0, 1]

    def __init__(self, pcap, port):
        self.p, self.port = pcap, port
        self.cseq, self.sseq = 1000, 5000
        pcap.frame(self.CLIENT, self.SERVER, port, 4730, self.cseq, 0, 0x02)
        pcap.frame(self.SERVER, self.CLIENT, 4730, port, self.sseq, self.cseq + 1, 0x12)
        self.cseq += 1
        self.sseq += 1
        pcap.frame(self.CLIENT, self.SERVER, port, 4730, self.cseq, self.sseq, 0x10)

    def to_server(self, data):
        self.p.frame(self.CLIENT, self.SERVER, self.port, 4730, self.cseq, self.sseq, 0x18, data)
        self.cseq += len(data)

    def to_peer(self, data):
        self.p.frame(self.SERVER, self.CLIENT, 4730, self.port, self.sseq, self.cseq, 0x18, data)
        self.sseq += len(data)


def main():
    p = Pcap()
    client = Conn(p, 40001)
    worker = Conn(p, 40002)
    client.to_server(req(22, CLIENT_ID))                       # SET_CLIENT_ID
    worker.to_server(req(22, WORKER_ID))
    worker.to_server(req(1, FUNCTION))                         # CAN_DO
    client.to_server(req(7, FUNCTION, b'u1', b'payload'))      # SUBMIT_JOB
    client.to_peer(res(8, HANDLE1))                            # JOB_CREATED
    worker.to_server(req(9))                                   # GRAB_JOB
    worker.to_peer(res(11, HANDLE1, FUNCTION, b'payload'))     # JOB_ASSIGN
    worker.to_server(req(25, HANDLE1, EXCEPTION))              # WORK_EXCEPTION
    client.to_peer(res(25, HANDLE1, EXCEPTION))
    client.to_server(req(7, FUNCTION, b'u2', b'payload'))      # never assigned
    client.to_peer(res(8, HANDLE2))
    for _ in range(30):                                        # time passes (3 s of keep-alives)
        p.t += 0.1
        worker.to_server(req(4))                               # PRE_SLEEP
    p.write(sys.argv[1])


if __name__ == '__main__':
    main()
