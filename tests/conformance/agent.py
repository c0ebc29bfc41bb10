#!/usr/bin/python3
"""Packet agent for the conformance suite: one long-lived process per network
namespace, started as

    ip netns exec NS /usr/bin/python3 tests/conformance/agent.py

It pushes and pulls raw frames and nothing else; every decision is the
driver's (tests/conformance/run.py).  One JSON command per line on stdin, one
JSON answer per line on stdout:

  {"op": "mac", "iface": "c0"}                     -> {"ok": true, "mac": "aa:..."}
  {"op": "send", "iface": "c0", "frames": [HEX..]} -> {"ok": true, "sent": N}
        each frame is a whole Ethernet frame, written on an AF_PACKET socket
  {"op": "cap_start", "id": K, "iface": "s0", "filter": "BPF"}
        -> {"ok": true}; capturing (incoming frames only) starts before the
        answer is written, so a frame sent afterwards cannot be missed
  {"op": "cap_get", "id": K, "count": N, "timeout": T}
        -> {"ok": true, "frames": [HEX..]}: waits until N frames matched or T
        seconds passed (T is capped at 10 s), then closes the capture
  {"op": "quit"}                                   -> exits

Errors answer {"ok": false, "error": "..."}.  The agent exits when stdin
closes, so it never outlives the driver.
"""
import json
import os
import select
import socket
import sys
import threading
import time

ETH_P_ALL = 0x0003
SO_ATTACH_FILTER = 26
PACKET_OUTGOING = 4
MAX_WAIT = 10.0

_bpf_cache = {}


def attach_filter(sock, expr):
    """Compile `expr` (tcpdump syntax, through scapy/libpcap) and attach it."""
    if not expr:
        return
    from scapy.arch.common import compile_filter  # only needed here
    from scapy.data import DLT_EN10MB
    import ctypes
    import struct
    prog = _bpf_cache.get(expr)
    if prog is None:
        prog = compile_filter(expr, linktype=DLT_EN10MB)
        _bpf_cache[expr] = prog
    # struct sock_fprog { unsigned short len; struct sock_filter *filter; }
    addr = ctypes.addressof(prog.bf_insns.contents)
    fprog = struct.pack("HL", prog.bf_len, addr)
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)


class Capture:
    def __init__(self, iface, expr):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        attach_filter(self.sock, expr)
        self.sock.bind((iface, 0))
        # Frames that arrived between socket() and the filter: drop them.
        self.sock.setblocking(False)
        try:
            while True:
                self.sock.recv(65535)
        except BlockingIOError:
            pass
        self.frames = []
        self.cond = threading.Condition()
        self.stop = False
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.stop:
            r, _, _ = select.select([self.sock], [], [], 0.05)
            if not r:
                continue
            try:
                data, addr = self.sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                return
            if addr[2] == PACKET_OUTGOING:
                continue
            with self.cond:
                self.frames.append(data)
                self.cond.notify_all()

    def get(self, count, timeout):
        deadline = time.monotonic() + min(float(timeout), MAX_WAIT)
        with self.cond:
            while len(self.frames) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            frames = list(self.frames)
        self.close()
        return frames

    def close(self):
        self.stop = True
        self.thread.join(1.0)
        self.sock.close()


def main():
    caps = {}
    tx = {}
    out = sys.stdout

    def answer(obj):
        out.write(json.dumps(obj) + "\n")
        out.flush()

    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            cmd = json.loads(line)
            op = cmd["op"]
            if op == "quit":
                answer({"ok": True})
                break
            if op == "mac":
                with open("/sys/class/net/%s/address" % cmd["iface"]) as f:
                    answer({"ok": True, "mac": f.read().strip()})
            elif op == "send":
                s = tx.get(cmd["iface"])
                if s is None:
                    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
                    s.bind((cmd["iface"], 0))
                    tx[cmd["iface"]] = s
                n = 0
                for h in cmd["frames"]:
                    s.send(bytes.fromhex(h))
                    n += 1
                    if cmd.get("gap"):
                        time.sleep(float(cmd["gap"]))
                answer({"ok": True, "sent": n})
            elif op == "cap_start":
                old = caps.pop(cmd["id"], None)
                if old:
                    old.close()
                caps[cmd["id"]] = Capture(cmd["iface"], cmd.get("filter", ""))
                answer({"ok": True})
            elif op == "cap_get":
                c = caps.pop(cmd["id"])
                frames = c.get(int(cmd.get("count", 1)), cmd.get("timeout", 1.0))
                answer({"ok": True, "frames": [f.hex() for f in frames]})
            else:
                answer({"ok": False, "error": "unknown op %r" % op})
        except Exception as e:  # report, keep serving
            answer({"ok": False, "error": "%s: %s" % (type(e).__name__, e)})
    for c in caps.values():
        c.close()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
