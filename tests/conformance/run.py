#!/usr/bin/python3
"""Packet-level RFC 7915 / RFC 6052 conformance suite for nat64.

usage: tests/conformance/run.py [-v] [--list] [-k SUBSTRING...] path/to/nat64

The driver runs in the default namespace and only orchestrates: it builds the
three-namespace topology of tests/e2e/lib.sh (unique TAG), plumbs and runs the
real daemon in the gateway namespace, and talks to one long-lived agent per
end namespace (tests/conformance/agent.py) that sends Ethernet frames on c0/s0
and captures on them with BPF filters.  Packets are built and every field is
checked here, with scapy.  Everything it creates is removed on exit, also on
failure and Ctrl-C; every wait is bounded.

Path of a packet (so the expected hop limits and TTLs add up):
  client c0 --L2--> g6 [kernel forwards: -1] TUN [nat64: -1] [kernel forwards: -1] g4 --> s0
so a hop limit H sent by the client arrives as TTL H-3 at the server, and the
translator sees H-1 (a "hop limit 1 at the translator" is H = 2 on the wire).
"""
import json
import re
import os
import select
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
LIB = os.path.join(TOP, "tests", "e2e", "lib.sh")
AGENT = os.path.join(HERE, "agent.py")

import logging  # noqa: E402
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.layers.inet import IP, UDP, TCP, ICMP, IPOption_NOP, fragment  # noqa: E402
from scapy.layers.inet6 import (IPv6, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,  # noqa: E402
                                IPv6ExtHdrDestOpt, IPv6ExtHdrRouting, PadN,
                                ICMPv6EchoRequest, ICMPv6DestUnreach, ICMPv6PacketTooBig,
                                ICMPv6TimeExceeded, ICMPv6ParamProblem, ICMPv6ND_NS,
                                ICMPv6MLReport, ICMPv6Unknown, fragment6)
from scapy.packet import Raw  # noqa: E402
from scapy.utils import checksum  # noqa: E402
import ipaddress  # noqa: E402

# ---- the topology of tests/e2e/lib.sh ----
TAG = "cf%d" % os.getpid()
NS_C, NS_G, NS_S = "nat64-c-" + TAG, "nat64-g-" + TAG, "nat64-s-" + TAG
CLIENT1 = "2001:db8:1::10"
CLIENT2 = "2001:db8:1::11"
CLIENT_OUT = "2001:db8:1::200"          # outside clients = 2001:db8:1::/120
GW6 = "2001:db8:1::1"
UPLINK4 = "203.0.113.1"
SERVER4 = "203.0.113.2"
GATEWAY4 = "100.64.0.1"
POOL = ipaddress.ip_network("100.64.0.0/24")
PREFIX = "2001:db8:64::"


def embed(v4, prefix=PREFIX):
    """RFC 6052 §2.2, /96: prefix || IPv4 address."""
    p = ipaddress.IPv6Address(prefix)
    return str(ipaddress.IPv6Address(int(p) | int(ipaddress.IPv4Address(v4))))


SERVER6 = embed(SERVER4)        # 2001:db8:64::cb00:7102
XLAT6 = embed(GATEWAY4)         # 2001:db8:64::6440:1, source of the translator's ICMPv6 errors

WKP_GW6 = "2001:db8:ffff::1"   # phase C: gateway-v6 (prefix||100.64.0.1 is not allowed in the WKP)
DENY = ('deny-v4 = {"198.51.100.0/24"}',)   # a configured deny list (phases A and B)

NEG_WAIT = 0.5                  # how long "nothing arrives" is watched
POS_WAIT = 2.0                  # bound on waiting for an expected packet


class Fail(Exception):
    pass


class Skip(Exception):
    """The case could not exercise what it tests (reason given)."""


def sh(cmd, check=True, timeout=30):
    r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=timeout,
                       env=dict(os.environ, TAG=TAG))
    if check and r.returncode != 0:
        raise RuntimeError("`%s` failed (%d): %s%s" % (cmd, r.returncode, r.stdout, r.stderr))
    return r.stdout


def lib(fn):
    return sh(". '%s'; %s" % (LIB, fn), timeout=60)


# ---- agents ----

class Agent:
    def __init__(self, ns, iface):
        self.ns, self.iface = ns, iface
        self.p = subprocess.Popen(["ip", "netns", "exec", ns, "/usr/bin/python3", "-u", AGENT],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.mac = self.call(op="mac", iface=iface)["mac"]

    def call(self, **cmd):
        # bound on the answer: the agent's own wait plus slack
        wait = float(cmd.get("timeout", 0)) + 10.0
        self.p.stdin.write(json.dumps(cmd) + "\n")
        self.p.stdin.flush()
        r, _, _ = select.select([self.p.stdout], [], [], wait)
        if not r:
            raise RuntimeError("agent in %s did not answer %s within %.1fs" % (self.ns, cmd["op"], wait))
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError("agent in %s died" % self.ns)
        a = json.loads(line)
        if not a.get("ok"):
            raise RuntimeError("agent in %s: %s" % (self.ns, a.get("error")))
        return a

    def close(self):
        try:
            self.p.stdin.close()
            self.p.wait(2)
        except Exception:
            self.p.kill()


class Net:
    """The running topology: agents, MACs, the daemon."""

    def __init__(self, nat64, verbose):
        self.nat64 = nat64
        self.verbose = verbose
        self.work = tempfile.mkdtemp(prefix="nat64-conf.")
        self.daemon = None
        self.log = None
        self.conf = None
        self.c = self.s = None
        self.cap_id = 0
        self.port = 20000

    def next_port(self):
        self.port += 1
        return self.port

    # -- setup / teardown --
    def up(self):
        lib("topo_up")
        # The client's and the server's own stacks must not answer what the
        # suite sends them (RSTs, port unreachables, echo replies): the agents
        # capture before netfilter, the kernels see nothing.
        for ns, icmp in ((NS_C, "icmpv6"), (NS_S, "icmp")):
            sh("ip netns exec %s nft -f - <<'EOF'\n"
               "table inet conformance {\n"
               "\tchain inbound {\n"
               "\t\ttype filter hook input priority 0; policy accept;\n"
               "\t\tmeta l4proto { tcp, udp } drop\n"
               "\t\t%s type echo-request drop\n"
               "\t}\n"
               "}\n"
               "EOF" % (ns, icmp))
        # The gateway kernel reassembles IPv6 fragments for conntrack (nat64's
        # inet table loads nf_defrag_ipv6) and re-fragments them with a new
        # identification, in both directions.  nat64 needs no IPv6 conntrack:
        # untrack IPv6 before defrag (priority -400) so the fragments the
        # translator reads and writes are the ones on the wire.
        sh("ip netns exec %s nft -f - <<'EOF'\n"
           "table ip6 conformance {\n"
           "\tchain early {\n"
           "\t\ttype filter hook prerouting priority -450; policy accept;\n"
           "\t\tnotrack\n"
           "\t}\n"
           "}\n"
           "EOF" % NS_G)
        # Jumbo client link: lets a packet bigger than the TUN MTU reach the gateway.
        sh("ip -n %s link set c0 mtu 9000 && ip -n %s link set g6 mtu 9000" % (NS_C, NS_G))
        self.g6mac = sh("ip netns exec %s cat /sys/class/net/g6/address" % NS_G).strip()
        self.g4mac = sh("ip netns exec %s cat /sys/class/net/g4/address" % NS_G).strip()
        self.c = Agent(NS_C, "c0")
        self.s = Agent(NS_S, "s0")

    def down(self):
        self.stop_daemon()
        for a in (self.c, self.s):
            if a:
                a.close()
        try:
            lib("topo_down")
        finally:
            subprocess.run(["rm", "-rf", self.work])

    def write_conf(self, prefix=PREFIX + "/96", mtu=1500, extra=DENY):
        self.conf = os.path.join(self.work, "nat64.conf")
        with open(self.conf, "w") as f:
            f.write('prefix = "%s"\n' % prefix)
            f.write('gateway-v4 = "%s"\n' % GATEWAY4)
            f.write('clients = {"2001:db8:1::/120"}\n')
            # errors the translator originates are rate-limited; the suite
            # sends few, but must never see one held back
            f.write('icmp-errors { rate = 100000 burst = 10000 }\n')
            f.write('tun { name = "nat64" queues = 2 mtu = %d }\n' % mtu)
            f.write('kernel { inner-pool = "%s" uplink = "g4" idle-timeout = 300 }\n' % POOL)
            for line in extra:
                f.write(line + "\n")

    def start(self, **conf):
        """(Re)plumb with a config and start the daemon."""
        if self.daemon:
            self.stop_daemon()
            sh("ip netns exec %s %s -c %s unplumb" % (NS_G, self.nat64, self.conf))
        self.write_conf(**conf)
        sh("ip netns exec %s %s -c %s plumb" % (NS_G, self.nat64, self.conf))
        # Conntrack must not mark packets with a wrong transport checksum
        # invalid (they would then escape the masquerade): the suite checks
        # that the translator keeps such checksums wrong.
        sh("ip netns exec %s sysctl -qw net.netfilter.nf_conntrack_checksum=0" % NS_G)
        self.log = os.path.join(self.work, "daemon.log")
        lf = open(self.log, "w")
        self.daemon = subprocess.Popen(["ip", "netns", "exec", NS_G, self.nat64, "-c", self.conf, "run"],
                                       stdout=lf, stderr=subprocess.STDOUT)
        lf.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if "running on" in open(self.log).read():
                return
            if self.daemon.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("daemon did not start:\n" + open(self.log).read())

    def stop_daemon(self):
        if not self.daemon:
            return
        self.daemon.send_signal(signal.SIGTERM)
        try:
            self.daemon.wait(3)
        except subprocess.TimeoutExpired:
            self.daemon.kill()
            self.daemon.wait(2)
        self.daemon = None

    def counters(self):
        """{name: value} from a SIGUSR1 counter dump of the daemon."""
        start = len(open(self.log).read())
        self.daemon.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 2
        last = ""
        while time.monotonic() < deadline:
            last = open(self.log).read()[start:]
            if "bindings active" in last:
                break
            time.sleep(0.02)
        else:
            raise RuntimeError("the daemon did not log its counters on SIGUSR1")
        out = {}
        for m in re.finditer(r"\bdrop (\w+) (\d+)", last):
            out["drop_" + m.group(1)] = int(m.group(2))
        for m in re.finditer(r"\b(rx6|rx4|tx4|tx6|replies) (\d+)", last):
            out[m.group(1)] = int(m.group(2))
        return out

    # -- exchanges --
    def frame6(self, p):
        return Ether(src=self.c.mac, dst=self.g6mac) / p

    def frame4(self, p):
        return Ether(src=self.s.mac, dst=self.g4mac) / p

    def _cap(self, agent, bpf):
        self.cap_id += 1
        agent.call(op="cap_start", id=self.cap_id, iface=agent.iface, filter=bpf)
        return self.cap_id

    def exchange(self, sender, frames, watch, gap=0):
        """Start captures (watch: [(agent, bpf, count, timeout)]), send, collect.
        Returns one list of decoded packets (Ether payloads) per watch entry."""
        ids = [self._cap(a, bpf) for a, bpf, _, _ in watch]
        sender.call(op="send", iface=sender.iface, frames=[bytes(f).hex() for f in frames], gap=gap)
        out = []
        t0 = time.monotonic()
        for cid, (a, bpf, count, timeout) in zip(ids, watch):
            left = max(0.05, timeout - (time.monotonic() - t0))
            got = a.call(op="cap_get", id=cid, count=count, timeout=left)["frames"]
            out.append([Ether(bytes.fromhex(h)).payload for h in got])
        return out

    def c2s(self, pkts, bpf, count=1, timeout=POS_WAIT, back_bpf=None, back_count=1, gap=0):
        """Client sends IPv6 packet(s); capture on s0 (and on c0 with back_bpf)."""
        pkts = pkts if isinstance(pkts, list) else [pkts]
        watch = [(self.s, bpf, count, timeout)]
        if back_bpf:
            watch = [(self.c, back_bpf, back_count, timeout), (self.s, bpf, count, NEG_WAIT)]
        r = self.exchange(self.c, [self.frame6(p) for p in pkts], watch, gap)
        return r if back_bpf else r[0]

    def s2c(self, pkts, bpf, count=1, timeout=POS_WAIT, back_bpf=None, back_count=1, gap=0):
        """Server sends IPv4 packet(s); capture on c0 (and on s0 with back_bpf)."""
        pkts = pkts if isinstance(pkts, list) else [pkts]
        watch = [(self.c, bpf, count, timeout)]
        if back_bpf:
            watch = [(self.s, back_bpf, back_count, timeout), (self.c, bpf, count, NEG_WAIT)]
        r = self.exchange(self.s, [self.frame4(p) for p in pkts], watch, gap)
        return r if back_bpf else r[0]

    # -- flows: the client opens, the server answers through conntrack --
    def open_udp(self, src=CLIENT1, sport=None, dport=7000, payload=b"open"):
        """Client UDP to the server; returns (client sport, the server's view of it)."""
        sport = sport or self.next_port()
        got = self.c2s(IPv6(src=src, dst=SERVER6) / UDP(sport=sport, dport=dport) / Raw(payload),
                       "udp and src host %s and dst port %d" % (UPLINK4, dport))
        if not got:
            raise Fail("flow setup: client UDP %d->%d did not reach the server" % (sport, dport))
        return sport, got[0]

    def udp_reply(self, seen, payload=b"reply", **ipkw):
        """The server's answer to the client datagram `seen` (as captured on s0)."""
        ip = dict(src=SERVER4, dst=UPLINK4, ttl=64)
        ip.update(ipkw)
        return IP(**ip) / UDP(sport=seen[UDP].dport, dport=seen[UDP].sport) / Raw(payload)

    def server_to_client_packet(self, dport=7000):
        """Open a UDP flow and deliver one server datagram to the client; returns
        (client sport, server's view of the client packet, the datagram as the client got it)."""
        sport, seen = self.open_udp(dport=dport)
        got = self.s2c(self.udp_reply(seen, payload=b"server data " * 4),
                       "ip6 and udp and dst port %d" % sport)
        if not got:
            raise Fail("flow setup: server datagram did not reach the client")
        return sport, seen, got[0]


# ---- checks ----

def l4_checksum_ok(ip):
    """Transport checksum of a decoded IPv4/IPv6 packet (not a fragment), recomputed
    with the pseudo-header: True, False, or None for an IPv4 UDP checksum of 0."""
    raw = bytes(ip)
    if ip.version == 4:
        ihl = (raw[0] & 15) * 4
        tot = struct.unpack("!H", raw[2:4])[0]
        proto = raw[9]
        l4 = raw[ihl:tot]
        if proto == 1:
            return checksum(l4) == 0
        if proto == 17 and l4[6:8] == b"\0\0":
            return None
        pseudo = raw[12:20] + struct.pack("!BBH", 0, proto, len(l4))
        return checksum(pseudo + l4) == 0
    nh, off, end = raw[6], 40, 40 + struct.unpack("!H", raw[4:6])[0]
    while nh in (0, 43, 60):
        nh, off = raw[off], off + (raw[off + 1] + 1) * 8
    l4 = raw[off:end]
    pseudo = raw[8:40] + struct.pack("!IxxxB", len(l4), nh)
    return checksum(pseudo + l4) == 0


def ip4_checksum_ok(ip):
    raw = bytes(ip)
    return checksum(raw[:(raw[0] & 15) * 4]) == 0


class Check:
    def __init__(self):
        self.bad = []

    def eq(self, field, got, want):
        if got != want:
            self.bad.append("%s: got %r, want %r" % (field, got, want))
        return got == want

    def true(self, field, cond, detail=""):
        if not cond:
            self.bad.append("%s%s" % (field, (": " + detail) if detail else ""))
        return bool(cond)

    def done(self):
        if self.bad:
            raise Fail("; ".join(self.bad))


def one(pkts, what):
    if not pkts:
        raise Fail("%s: nothing arrived" % what)
    return pkts[0]


def none(pkts, what):
    if pkts:
        raise Fail("%s: %d packet(s) arrived, none expected: %s" % (what, len(pkts), pkts[0].summary()))


def reassemble4(frags):
    """IPv4 fragments -> the datagram's payload (bytes), sorted by offset."""
    parts = sorted((f.frag * 8, bytes(f.payload)[:f.len - f.ihl * 4]) for f in frags)
    data = b""
    for off, p in parts:
        if off != len(data):
            raise Fail("IPv4 fragments leave a hole at %d" % len(data))
        data += p
    return data


def reassemble6(frags):
    parts = []
    for f in frags:
        fh = f[IPv6ExtHdrFragment]
        parts.append((fh.offset * 8, bytes(fh.payload)))
    data = b""
    for off, p in sorted(parts):
        if off != len(data):
            raise Fail("IPv6 fragments leave a hole at %d" % len(data))
        data += p
    return data


# ---- the cases ----

CASES = []


def case(name, rfc, direction, sent, checked, phase="A", xfail=None):
    def reg(fn):
        CASES.append(dict(name=name, rfc=rfc, dir=direction, sent=sent, checked=checked,
                          fn=fn, phase=phase, xfail=xfail))
        return fn
    return reg


def udp_to_server(n, payload=b"x" * 32, src=CLIENT1, **ip6kw):
    sport = n.next_port()
    p = IPv6(src=src, dst=SERVER6, **ip6kw) / UDP(sport=sport, dport=7000) / Raw(payload)
    got = n.c2s(p, "udp and dst port 7000 and src host %s" % UPLINK4)
    return p, one(got, "translated UDP on s0")


# -- addresses, header fields, 6->4 --

@case("6to4_addresses", "RFC 6052 §2.2 (/96); RFC 7915 §5.1", "6->4",
      "UDP from client 2001:db8:1::10 to 2001:db8:64::cb00:7102",
      "s0 sees IPv4 203.0.113.2 as destination (extracted from the prefix) and the uplink "
      "203.0.113.1 as source (inner address, masqueraded); protocol 17; IHL 5")
def t_addr_6to4(n):
    _, r = udp_to_server(n)
    ck = Check()
    ck.eq("dst", r.dst, SERVER4)
    ck.eq("src", r.src, UPLINK4)
    ck.eq("proto", r.proto, 17)
    ck.eq("ihl", r.ihl, 5)
    ck.true("IPv4 header checksum valid", ip4_checksum_ok(r))
    ck.done()


@case("6to4_traffic_class", "RFC 7915 §5.1 (Type of Service)", "6->4",
      "UDP with traffic class 0xb9 (DSCP EF, ECN ECT(1)), flow label 0x12345",
      "IPv4 TOS = 0xb9 (copied, ECN included); flow label ignored")
def t_tc_6to4(n):
    _, r = udp_to_server(n, tc=0xb9, fl=0x12345)
    ck = Check()
    ck.eq("tos", r.tos, 0xb9)
    ck.done()


@case("6to4_ttl", "RFC 7915 §5.1 (TTL); RFC 8200 §3", "6->4",
      "UDP with hop limit 37",
      "TTL on s0 = 34: the translator's decrement plus the gateway kernel's two forwarding hops")
def t_ttl_6to4(n):
    _, r = udp_to_server(n, hlim=37)
    ck = Check()
    ck.eq("ttl", r.ttl, 34)
    ck.done()


@case("6to4_length_and_payload", "RFC 7915 §5.1 (Total Length)", "6->4",
      "UDP, 333 payload bytes",
      "IPv4 total length = IPv6 payload length + 20; UDP header and payload byte-identical but the "
      "source port (masquerade) and the checksum")
def t_len_6to4(n):
    data = bytes(range(256)) + b"y" * 77
    p, r = udp_to_server(n, payload=data)
    ck = Check()
    p = IPv6(bytes(p))
    ck.eq("total length", r.len, p.plen + 20)
    ck.eq("UDP length", r[UDP].len, p[UDP].len)
    ck.eq("UDP dport", r[UDP].dport, 7000)
    ck.eq("payload", bytes(r[UDP].payload), data)
    ck.done()


@case("6to4_df_small_has_id", "RFC 7915 §5.1 (Identification, Flags); RFC 6864", "6->4",
      "two UDP packets translating to exactly 1260 bytes",
      "DF = 0, MF = 0, offset 0, total length 1260, the two identifications differ (generator)")
def t_df_small(n):
    sport = n.next_port()
    ps = [IPv6(src=CLIENT1, dst=SERVER6) / UDP(sport=sport, dport=7000) / Raw(b"s" * (1260 - 28))
          for _ in range(2)]
    got = n.c2s(ps, "udp and dst port 7000 and src port %d" % sport, count=2)
    ck = Check()
    if ck.eq("packets on s0", len(got), 2):
        for r in got:
            ck.eq("total length", r.len, 1260)
            ck.eq("DF", bool(r.flags.DF), False)
            ck.eq("MF", bool(r.flags.MF), False)
            ck.eq("offset", r.frag, 0)
        ck.true("identifications differ", got[0].id != got[1].id, "both %d" % got[0].id)
    ck.done()


@case("6to4_df_large", "RFC 7915 §5.1 (Flags)", "6->4",
      "UDP translating to 1261 bytes",
      "DF = 1, MF = 0, offset 0, total length 1261")
def t_df_large(n):
    _, r = udp_to_server(n, payload=b"L" * (1261 - 28))
    ck = Check()
    ck.eq("total length", r.len, 1261)
    ck.eq("DF", bool(r.flags.DF), True)
    ck.eq("MF", bool(r.flags.MF), False)
    ck.eq("offset", r.frag, 0)
    ck.done()


@case("6to4_udp_checksum", "RFC 7915 §5.1, §5.5", "6->4",
      "UDP with a valid checksum",
      "UDP checksum on s0 valid over the IPv4 pseudo-header (recomputed)")
def t_udp_csum_6to4(n):
    _, r = udp_to_server(n, payload=b"checksum" * 9)
    ck = Check()
    ck.eq("UDP checksum valid", l4_checksum_ok(r), True)
    ck.done()


@case("6to4_tcp", "RFC 7915 §5.1, §5.5", "6->4",
      "TCP SYN with MSS/SACK/timestamp options and 10 data bytes",
      "TCP checksum valid (recomputed); seq, flags, window, options, payload unchanged")
def t_tcp_6to4(n):
    sport = n.next_port()
    opts = [("MSS", 1220), ("SAckOK", b""), ("Timestamp", (12345, 0)), ("NOP", None), ("WScale", 7)]
    p = IPv6(src=CLIENT1, dst=SERVER6) / TCP(sport=sport, dport=7080, flags="S", seq=1000, window=4321,
                                            options=opts) / Raw(b"0123456789")
    p = IPv6(bytes(p))
    r = one(n.c2s(p, "tcp and dst port 7080 and src host %s" % UPLINK4), "TCP on s0")
    ck = Check()
    ck.eq("TCP checksum valid", l4_checksum_ok(r), True)
    ck.eq("seq", r[TCP].seq, 1000)
    ck.eq("flags", str(r[TCP].flags), "S")
    ck.eq("window", r[TCP].window, 4321)
    ck.eq("options", bytes(r[TCP])[20:r[TCP].dataofs * 4], bytes(p[TCP])[20:p[TCP].dataofs * 4])
    ck.eq("payload", bytes(r[TCP].payload), b"0123456789")
    ck.done()


@case("6to4_icmp_echo", "RFC 7915 §5.2 (Echo Request)", "6->4",
      "ICMPv6 echo request (128) id 0x4242 seq 7, 56 data bytes",
      "ICMPv4 type 8 code 0, seq and data kept, ICMPv4 checksum valid (no pseudo-header), protocol 1")
def t_echo_6to4(n):
    ident = 0x4242
    p = IPv6(src=CLIENT1, dst=SERVER6) / ICMPv6EchoRequest(id=ident, seq=7, data=b"E" * 56)
    r = one(n.c2s(p, "icmp and icmp[0] == 8 and src host %s" % UPLINK4), "ICMP echo on s0")
    ck = Check()
    ck.eq("proto", r.proto, 1)
    ck.eq("type", r[ICMP].type, 8)
    ck.eq("code", r[ICMP].code, 0)
    ck.eq("seq", r[ICMP].seq, 7)
    ck.eq("data", bytes(r[ICMP].payload), b"E" * 56)
    ck.eq("ICMP checksum valid", l4_checksum_ok(r), True)
    ck.done()


@case("6to4_bad_checksum_stays_bad", "RFC 7915 §5.5; RFC 1624", "6->4",
      "UDP whose checksum is off by one",
      "the datagram on s0 still fails its checksum (incremental update never repairs it)")
def t_badcsum_6to4(n):
    sport = n.next_port()
    p = IPv6(src=CLIENT1, dst=SERVER6) / UDP(sport=sport, dport=7000) / Raw(b"bad checksum")
    good = IPv6(bytes(p))[UDP].chksum
    p[UDP].chksum = (good + 1) & 0xffff or 1
    r = one(n.c2s(p, "udp and src port %d" % sport), "UDP on s0")
    ck = Check()
    ck.eq("UDP checksum valid", l4_checksum_ok(r), False)
    ck.done()


@case("6to4_udp_zero_checksum", "RFC 7915 §5.1 (deviation, docs/xlat-notes.md); RFC 768", "6->4",
      "IPv6 UDP with checksum 0 (only legal for RFC 6936 tunnels)",
      "passed on as 0 (IPv4: no checksum), payload intact - the project's documented choice")
def t_udp0_6to4(n):
    sport = n.next_port()
    p = IPv6(src=CLIENT1, dst=SERVER6) / UDP(sport=sport, dport=7000, chksum=0) / Raw(b"zero")
    r = one(n.c2s(p, "udp and src port %d" % sport), "UDP on s0")
    ck = Check()
    ck.eq("UDP checksum", r[UDP].chksum, 0)
    ck.eq("payload", bytes(r[UDP].payload), b"zero")
    ck.done()


# -- 4->6 header fields --

@case("4to6_addresses", "RFC 6052 §2.2; RFC 7915 §4.1", "4->6",
      "server UDP reply 203.0.113.2 -> 203.0.113.1 (de-masqueraded to the client's inner address)",
      "client gets it from 2001:db8:64::cb00:7102 (prefix||server) to 2001:db8:1::10, next header 17, "
      "no extension headers, UDP ports and payload intact, checksum valid")
def t_addr_4to6(n):
    sport, seen, _ = n.server_to_client_packet()
    r = one(n.s2c(n.udp_reply(seen, b"addr"), "ip6 and udp and dst port %d" % sport), "UDP on c0")
    ck = Check()
    ck.eq("src", r.src, SERVER6)
    ck.eq("dst", r.dst, CLIENT1)
    ck.eq("nh", r.nh, 17)
    ck.eq("sport", r[UDP].sport, 7000)
    ck.eq("payload", bytes(r[UDP].payload), b"addr")
    ck.eq("UDP checksum valid", l4_checksum_ok(r), True)
    ck.done()


@case("4to6_tos_flowlabel_hlim_length", "RFC 7915 §4.1", "4->6",
      "server UDP reply with TOS 0x6a, TTL 37, 200 payload bytes, ID 0x1234",
      "traffic class 0x6a, flow label 0, hop limit 34 (translator + two kernel hops), "
      "payload length = total length - 20")
def t_hdr_4to6(n):
    sport, seen = n.open_udp()
    p = n.udp_reply(seen, b"h" * 200, tos=0x6a, ttl=37, id=0x1234)
    r = one(n.s2c(p, "ip6 and udp and dst port %d" % sport), "UDP on c0")
    ck = Check()
    ck.eq("tc", r.tc, 0x6a)
    ck.eq("fl", r.fl, 0)
    ck.eq("hlim", r.hlim, 34)
    ck.eq("plen", r.plen, 208)
    ck.done()


@case("4to6_ipv4_options_ignored", "RFC 7915 §4.1 (IPv4 options)", "4->6",
      "server UDP reply with IHL 6 (four NOP options)",
      "IPv6 payload length = total length - IHL*4 (options not translated), payload intact, checksum valid")
def t_opts_4to6(n):
    sport, seen = n.open_udp()
    p = n.udp_reply(seen, b"options", options=[IPOption_NOP()] * 4)
    r = one(n.s2c(p, "ip6 and udp and dst port %d" % sport), "UDP on c0")
    ck = Check()
    ck.eq("plen", r.plen, 8 + 7)
    ck.eq("nh", r.nh, 17)
    ck.eq("payload", bytes(r[UDP].payload), b"options")
    ck.eq("UDP checksum valid", l4_checksum_ok(r), True)
    ck.done()


@case("4to6_udp_zero_checksum", "RFC 7915 §4.5", "4->6",
      "server UDP reply with checksum 0 (unfragmented)",
      "client gets a UDP checksum != 0 that is valid over the IPv6 pseudo-header")
def t_udp0_4to6(n):
    sport, seen = n.open_udp()
    p = n.udp_reply(seen, b"no checksum here")
    p[UDP].chksum = 0
    r = one(n.s2c(p, "ip6 and udp and dst port %d" % sport), "UDP on c0")
    ck = Check()
    ck.true("UDP checksum not 0", r[UDP].chksum != 0)
    ck.eq("UDP checksum valid", l4_checksum_ok(r), True)
    ck.done()


@case("4to6_bad_checksum_stays_bad", "RFC 7915 §4.5; RFC 1624", "4->6",
      "server UDP reply whose checksum is off by one",
      "the client's copy still fails its checksum")
def t_badcsum_4to6(n):
    sport, seen = n.open_udp()
    p = n.udp_reply(seen, b"bad")
    good = IP(bytes(p))[UDP].chksum
    p[UDP].chksum = (good + 1) & 0xffff or 1
    r = one(n.s2c(p, "ip6 and udp and dst port %d" % sport), "UDP on c0")
    ck = Check()
    ck.eq("UDP checksum valid", l4_checksum_ok(r), False)
    ck.done()


@case("4to6_tcp", "RFC 7915 §4.1, §4.5", "4->6",
      "client TCP SYN, then the server's SYN-ACK",
      "client gets the SYN-ACK with a valid checksum, seq/ack/flags/options unchanged")
def t_tcp_4to6(n):
    sport = n.next_port()
    syn = IPv6(src=CLIENT1, dst=SERVER6) / TCP(sport=sport, dport=7081, flags="S", seq=5000)
    seen = one(n.c2s(syn, "tcp and dst port 7081 and src host %s" % UPLINK4), "SYN on s0")
    sa = IP(src=SERVER4, dst=UPLINK4) / TCP(sport=7081, dport=seen[TCP].sport, flags="SA", seq=9000,
                                            ack=5001, window=1111, options=[("MSS", 1400), ("NOP", None),
                                                                            ("WScale", 3)])
    sa = IP(bytes(sa))
    r = one(n.s2c(sa, "ip6 and tcp and dst port %d" % sport), "SYN-ACK on c0")
    ck = Check()
    ck.eq("TCP checksum valid", l4_checksum_ok(r), True)
    ck.eq("flags", str(r[TCP].flags), "SA")
    ck.eq("seq", r[TCP].seq, 9000)
    ck.eq("ack", r[TCP].ack, 5001)
    ck.eq("window", r[TCP].window, 1111)
    ck.eq("options", bytes(r[TCP])[20:r[TCP].dataofs * 4], bytes(sa[TCP])[20:sa[TCP].dataofs * 4])
    ck.done()


@case("4to6_icmp_echo_reply", "RFC 7915 §4.2 (Echo Reply)", "4->6",
      "client echo request, then the server's ICMPv4 echo reply (type 0) with 40 data bytes",
      "client gets ICMPv6 129 code 0 with its own id and seq, data intact, checksum valid with "
      "the IPv6 pseudo-header")
def t_echo_4to6(n):
    ident = 0x5151
    p = IPv6(src=CLIENT1, dst=SERVER6) / ICMPv6EchoRequest(id=ident, seq=3, data=b"q" * 40)
    seen = one(n.c2s(p, "icmp and icmp[0] == 8 and src host %s" % UPLINK4), "echo request on s0")
    rep = IP(src=SERVER4, dst=UPLINK4) / ICMP(type=0, id=seen[ICMP].id, seq=seen[ICMP].seq) / Raw(b"q" * 40)
    r = one(n.s2c(rep, "icmp6 and ip6[40] == 129"), "echo reply on c0")
    ck = Check()
    ck.eq("type", r.payload.type, 129)
    ck.eq("code", r.payload.code, 0)
    ck.eq("id", r.payload.id, ident)
    ck.eq("seq", r.payload.seq, 3)
    ck.eq("data", bytes(r.payload)[8:], b"q" * 40)
    ck.eq("src", r.src, SERVER6)
    ck.eq("ICMPv6 checksum valid", l4_checksum_ok(r), True)
    ck.done()


# -- ICMPv4 errors -> ICMPv6 --

def icmp4_raw(type_, code, info, body):
    """An ICMPv4 message, bytes: type, code, checksum, the 32-bit field after it, body."""
    m = struct.pack("!BBHI", type_, code, 0, info) + body
    return m[:2] + struct.pack("!H", checksum(m)) + m[4:]


def icmp4_error(n, type_, code, unused=0, quoted_len=None, dport=7000):
    """Open a UDP flow; the server answers the client's datagram with an ICMPv4
    error quoting it.  Returns (client sport, what s0 saw, ICMPv6 error on c0 or None)."""
    sport, seen = n.open_udp(dport=dport, payload=b"quoted by the error")
    quoted = bytearray(bytes(seen))
    if quoted_len is not None:
        quoted[2:4] = struct.pack("!H", quoted_len)
        quoted[10:12] = b"\0\0"
        quoted[10:12] = struct.pack("!H", checksum(bytes(quoted[:20])))
    err = IP(src=SERVER4, dst=UPLINK4, proto=1) / Raw(icmp4_raw(type_, code, unused, bytes(quoted)))
    got = n.s2c(err, "icmp6 and src host %s" % SERVER6)
    return sport, seen, (got[0] if got else None)


def check_inner6(ck, r, sport, seen, dport=7000):
    """The packet in error inside an ICMPv6 error: the client's datagram, translated."""
    inner = IPv6(bytes(r.payload)[8:])
    ck.eq("inner src", inner.src, CLIENT1)
    ck.eq("inner dst", inner.dst, SERVER6)
    ck.eq("inner nh", inner.nh, 17)
    ck.eq("inner hop limit (= quoted TTL, not decremented)", inner.hlim, seen.ttl)
    if UDP in inner:
        ck.eq("inner sport", inner[UDP].sport, sport)
        ck.eq("inner dport", inner[UDP].dport, dport)
        ck.eq("inner UDP checksum valid", l4_checksum_ok(inner), True)
    ck.eq("outer src", r.src, SERVER6)
    ck.eq("outer dst", r.dst, CLIENT1)
    ck.eq("ICMPv6 checksum valid", l4_checksum_ok(r), True)


def unreach_case(name, code4, type6, code6, info=None):
    @case(name, "RFC 7915 §4.2 (Destination Unreachable), §4.3", "4->6",
          "ICMPv4 3/%d from the server quoting the client's UDP datagram" % code4,
          "client gets ICMPv6 %d/%d%s; inner packet translated (src client, dst prefix||server, "
          "ports, hop limit), inner and outer checksums valid"
          % (type6, code6, "" if info is None else " pointer %d" % info))
    def t(n):
        sport, seen, r = icmp4_error(n, 3, code4)
        if r is None:
            raise Fail("no ICMPv6 error on c0")
        ck = Check()
        ck.eq("type", r.payload.type, type6)
        ck.eq("code", r.payload.code, code6)
        if info is not None:
            ck.eq("pointer", struct.unpack("!I", bytes(r.payload)[4:8])[0], info)
        check_inner6(ck, r, sport, seen)
        ck.done()


unreach_case("4to6_unreach_port", 3, 1, 4)
unreach_case("4to6_unreach_host", 1, 1, 0)
unreach_case("4to6_unreach_net", 0, 1, 0)
unreach_case("4to6_unreach_admin_filtered", 13, 1, 1)
unreach_case("4to6_unreach_protocol", 2, 4, 1, info=6)


@case("4to6_time_exceeded", "RFC 7915 §4.2 (Time Exceeded)", "4->6",
      "ICMPv4 11/0 from the server quoting the client's datagram",
      "client gets ICMPv6 3/0 with the inner packet translated")
def t_te_4to6(n):
    sport, seen, r = icmp4_error(n, 11, 0)
    if r is None:
        raise Fail("no ICMPv6 error on c0")
    ck = Check()
    ck.eq("type", r.payload.type, 3)
    ck.eq("code", r.payload.code, 0)
    check_inner6(ck, r, sport, seen)
    ck.done()


def frag_needed_case(name, mtu4, want, quoted_len=None, phase="A", note=""):
    @case(name, "RFC 7915 §4.2 (Fragmentation Needed -> Packet Too Big)", "4->6",
          "ICMPv4 3/4 with next-hop MTU %d%s quoting the client's datagram%s"
          % (mtu4, "" if quoted_len is None else " (quoted total length %d)" % quoted_len, note),
          "client gets ICMPv6 2/0 (Packet Too Big) with MTU %d; inner packet translated" % want,
          phase=phase)
    def t(n):
        sport, seen, r = icmp4_error(n, 3, 4, unused=mtu4, quoted_len=quoted_len)
        if r is None:
            raise Fail("no ICMPv6 error on c0")
        ck = Check()
        ck.eq("type", r.payload.type, 2)
        ck.eq("code", r.payload.code, 0)
        ck.eq("MTU", struct.unpack("!I", bytes(r.payload)[4:8])[0], want)
        if quoted_len is None:
            check_inner6(ck, r, sport, seen)
        else:
            inner = IPv6(bytes(r.payload)[8:])
            ck.eq("inner src", inner.src, CLIENT1)
            ck.eq("inner dst", inner.dst, SERVER6)
            ck.eq("ICMPv6 checksum valid", l4_checksum_ok(r), True)
        ck.done()


frag_needed_case("4to6_frag_needed_mtu_plus_20", 1400, 1420)
frag_needed_case("4to6_frag_needed_floor_1280", 1000, 1280)
frag_needed_case("4to6_frag_needed_mtu0_floor", 0, 1280, quoted_len=1400,
                 note=" (plateau 1006 + 20 is below the 1280 floor)")
frag_needed_case("4to6_frag_needed_mtu0_plateau", 0, 2022, quoted_len=4000, phase="B",
                 note=", TUN MTU 9000 (plateau 2002 + 20)")


def param_case(name, ptr4, ptr6):
    @case(name, "RFC 7915 §4.2 (Parameter Problem, Figure 3)", "4->6",
          "ICMPv4 12/0 pointer %d quoting the client's datagram" % ptr4,
          "client gets ICMPv6 4/0 pointer %d" % ptr6)
    def t(n):
        sport, seen, r = icmp4_error(n, 12, 0, unused=ptr4 << 24)
        if r is None:
            raise Fail("no ICMPv6 error on c0")
        ck = Check()
        ck.eq("type", r.payload.type, 4)
        ck.eq("code", r.payload.code, 0)
        ck.eq("pointer", struct.unpack("!I", bytes(r.payload)[4:8])[0], ptr6)
        check_inner6(ck, r, sport, seen)
        ck.done()


param_case("4to6_param_problem_ttl", 8, 7)
param_case("4to6_param_problem_src", 12, 8)
param_case("4to6_param_problem_dst", 16, 24)


def silent_4to6_case(name, rfc, type_, code, what, counter):
    @case(name, rfc, "4->6",
          "ICMPv4 %d/%d (%s) from the server quoting the client's datagram (conntrack: related)"
          % (type_, code, what),
          "nothing reaches the client; the daemon counts drop %s (skipped if the gateway kernel "
          "does not hand it to the TUN)" % counter)
    def t(n):
        sport, seen = n.open_udp()
        before = n.counters()
        err = IP(src=SERVER4, dst=UPLINK4, proto=1) / Raw(icmp4_raw(type_, code, 0, bytes(seen)))
        got = n.s2c(err, "icmp6 and src host %s" % SERVER6, timeout=NEG_WAIT)
        none(got, "ICMPv6 on c0")
        after = n.counters()
        if n.verbose:
            print("      counters before %s\n      after %s" % (before, after))
        if after.get("rx4", 0) == before.get("rx4", 0):
            raise Skip("the gateway kernel did not deliver it to the TUN: translator not exercised")
        ck = Check()
        ck.eq("drop %s counter increase" % counter,
              after.get("drop_" + counter, 0) - before.get("drop_" + counter, 0), 1)
        ck.done()


silent_4to6_case("4to6_source_quench_dropped", "RFC 7915 §4.2 (Source Quench)", 4, 0, "source quench",
                 "unsupported_icmp")
silent_4to6_case("4to6_redirect_dropped", "RFC 7915 §4.2 (Redirect: single hop)", 5, 1, "redirect",
                 "icmp_single_hop")
silent_4to6_case("4to6_unreach_precedence_dropped", "RFC 7915 §4.2 (code 14: silently drop)", 3, 14,
                 "host precedence violation", "unsupported_icmp")


# -- ICMPv6 errors from the client about server packets -> ICMPv4 --

def icmp6_error(n, msg):
    """The client answers a server datagram with the ICMPv6 error `msg` (a scapy
    ICMPv6 layer) quoting it; returns (what s0 saw of the flow, ICMPv4 on s0 or None)."""
    sport, seen, got6 = n.server_to_client_packet()
    err = IPv6(src=CLIENT1, dst=SERVER6) / msg / Raw(bytes(got6))
    got = n.c2s(err, "icmp and src host %s and icmp[0] != 8" % UPLINK4)
    return sport, seen, (got[0] if got else None)


def check_inner4(ck, r, sport, seen):
    inner = IP(bytes(r[ICMP].payload))
    ck.eq("outer src", r.src, UPLINK4)
    ck.eq("outer dst", r.dst, SERVER4)
    ck.eq("inner src", inner.src, SERVER4)
    ck.eq("inner dst", inner.dst, UPLINK4)
    ck.eq("inner proto", inner.proto, 17)
    ck.eq("inner IPv4 header checksum valid", ip4_checksum_ok(inner), True)
    if UDP in inner:
        ck.eq("inner sport", inner[UDP].sport, 7000)
        ck.eq("inner dport (the masqueraded port)", inner[UDP].dport, seen[UDP].sport)
    ck.eq("ICMPv4 checksum valid", l4_checksum_ok(r), True)


def err6_case(name, rfc, msg_fn, desc, type4, code4, info=None, info_desc=""):
    @case(name, rfc, "6->4",
          "client answers a server datagram with " + desc,
          "server gets ICMPv4 %d/%d%s from the uplink; inner packet = its own datagram (src server, "
          "dst uplink + masqueraded port), checksums valid" % (type4, code4, info_desc))
    def t(n):
        sport, seen, r = icmp6_error(n, msg_fn())
        if r is None:
            raise Fail("no ICMPv4 error on s0")
        ck = Check()
        ck.eq("type", r[ICMP].type, type4)
        ck.eq("code", r[ICMP].code, code4)
        if info is not None:
            ck.eq(info_desc.strip() or "info", struct.unpack("!I", bytes(r[ICMP])[4:8])[0], info)
        check_inner4(ck, r, sport, seen)
        ck.done()


err6_case("6to4_unreach_port", "RFC 7915 §5.2 (Destination Unreachable), §5.3",
          lambda: ICMPv6DestUnreach(code=4), "ICMPv6 1/4 (port unreachable)", 3, 3)
err6_case("6to4_unreach_admin", "RFC 7915 §5.2", lambda: ICMPv6DestUnreach(code=1),
          "ICMPv6 1/1 (administratively prohibited)", 3, 10)
err6_case("6to4_unreach_noroute", "RFC 7915 §5.2", lambda: ICMPv6DestUnreach(code=0),
          "ICMPv6 1/0 (no route)", 3, 1)
err6_case("6to4_time_exceeded", "RFC 7915 §5.2 (Time Exceeded)", lambda: ICMPv6TimeExceeded(code=0),
          "ICMPv6 3/0", 11, 0)
err6_case("6to4_packet_too_big", "RFC 7915 §5.2 (Packet Too Big)", lambda: ICMPv6PacketTooBig(mtu=1400),
          "ICMPv6 2/0 MTU 1400", 3, 4, info=1380, info_desc=" MTU 1380")
err6_case("6to4_param_problem_hlim", "RFC 7915 §5.2 (Parameter Problem, Figure 6)",
          lambda: ICMPv6ParamProblem(code=0, ptr=7), "ICMPv6 4/0 pointer 7 (hop limit)", 12, 0,
          info=8 << 24, info_desc=" pointer 8")
err6_case("6to4_param_problem_dst", "RFC 7915 §5.2 (Figure 6)",
          lambda: ICMPv6ParamProblem(code=0, ptr=24), "ICMPv6 4/0 pointer 24 (destination)", 12, 0,
          info=16 << 24, info_desc=" pointer 16")
err6_case("6to4_param_problem_next_header", "RFC 7915 §5.2",
          lambda: ICMPv6ParamProblem(code=1, ptr=6), "ICMPv6 4/1 (unrecognized next header)", 3, 2)


def silent_6to4_case(name, rfc, mk, what, counter):
    @case(name, rfc, "6->4", what, "nothing on s0; the daemon counts drop %s" % counter)
    def t(n):
        before = n.counters().get("drop_" + counter, 0)
        got = n.c2s(mk(), "icmp or (ip and not arp)", timeout=NEG_WAIT)
        none(got, "IPv4 on s0")
        after = n.counters().get("drop_" + counter, 0)
        ck = Check()
        ck.eq("drop %s counter increase" % counter, after - before, 1)
        ck.done()


silent_6to4_case("6to4_nd_not_translated", "RFC 7915 §5.2 (ND: single hop)",
                 lambda: IPv6(src=CLIENT1, dst=SERVER6, hlim=255) / ICMPv6ND_NS(tgt=SERVER6),
                 "neighbor solicitation (135) addressed to prefix||server", "icmp_single_hop")
silent_6to4_case("6to4_mld_not_translated", "RFC 7915 §5.2 (MLD: single hop)",
                 lambda: IPv6(src=CLIENT1, dst=SERVER6, hlim=64) / ICMPv6MLReport(mladdr="ff02::1:3"),
                 "MLD report (131) addressed to prefix||server", "icmp_single_hop")
silent_6to4_case("6to4_informational_no_counterpart", "RFC 7915 §5.2 (other informational)",
                 lambda: IPv6(src=CLIENT1, dst=SERVER6) / ICMPv6Unknown(type=139, code=0, msgbody=b"\0" * 12),
                 "ICMPv6 node information query (139)", "unsupported_icmp")


# -- errors originated by the translator --

@case("6to4_hop_limit_expired", "RFC 7915 §5.1, §5.4; RFC 4443 §3.3", "6->4",
      "UDP with hop limit 2 (1 when it reaches the translator)",
      "client gets ICMPv6 3/0 from 2001:db8:64::6440:1 (prefix||gateway-v4) quoting its packet; "
      "checksum valid; nothing on s0")
def t_hlim(n):
    sport = n.next_port()
    p = IPv6(src=CLIENT1, dst=SERVER6, hlim=2) / UDP(sport=sport, dport=7000) / Raw(b"expiring")
    back, fwd = n.c2s(p, "udp and src port %d" % sport, back_bpf="icmp6 and ip6[40] == 3")
    none(fwd, "UDP on s0")
    r = one(back, "ICMPv6 time exceeded on c0")
    ck = Check()
    ck.eq("src", r.src, XLAT6)
    ck.eq("dst", r.dst, CLIENT1)
    ck.eq("type/code", (r.payload.type, r.payload.code), (3, 0))
    inner = IPv6(bytes(r.payload)[8:])
    ck.eq("inner src", inner.src, CLIENT1)
    ck.eq("inner dst", inner.dst, SERVER6)
    ck.eq("inner sport", inner[UDP].sport if UDP in inner else None, sport)
    ck.eq("ICMPv6 checksum valid", l4_checksum_ok(r), True)
    ck.done()


@case("4to6_ttl_expired", "RFC 7915 §4.1, §4.4; RFC 792", "4->6",
      "server UDP reply with TTL 2 (1 when it reaches the translator)",
      "server gets ICMPv4 11/0 from gateway-v4 (as masqueraded: the uplink) quoting its datagram; "
      "checksums valid; nothing reaches the client")
def t_ttl_4to6(n):
    sport, seen = n.open_udp()
    p = n.udp_reply(seen, b"expiring", ttl=2)
    back, fwd = n.s2c(p, "ip6 and udp and dst port %d" % sport, back_bpf="icmp and icmp[0] == 11")
    none(fwd, "UDP on c0")
    r = one(back, "ICMPv4 time exceeded on s0")
    ck = Check()
    ck.true("src is gateway-v4 or the uplink (masquerade)", r.src in (GATEWAY4, UPLINK4), r.src)
    ck.eq("dst", r.dst, SERVER4)
    ck.eq("type/code", (r[ICMP].type, r[ICMP].code), (11, 0))
    ck.eq("ICMPv4 checksum valid", l4_checksum_ok(r), True)
    inner = IP(bytes(r[ICMP].payload))
    ck.eq("inner src", inner.src, SERVER4)
    ck.eq("inner dport", inner[UDP].dport if UDP in inner else None, seen[UDP].sport)
    ck.done()


@case("4to6_df_too_big_frag_needed", "RFC 7915 §4.1 (DF set, bigger than the next hop); RFC 1191",
      "4->6",
      "server UDP reply of 1500 bytes with DF (1520 bytes as IPv6, TUN MTU 1500)",
      "server gets ICMPv4 3/4 with next-hop MTU 1480; nothing reaches the client")
def t_toobig_4to6(n):
    sport, seen = n.open_udp()
    p = n.udp_reply(seen, b"B" * (1500 - 28), flags="DF")
    back, fwd = n.s2c(p, "ip6 and udp and dst port %d" % sport, back_bpf="icmp and icmp[0] == 3")
    none(fwd, "UDP on c0")
    r = one(back, "ICMPv4 fragmentation needed on s0")
    ck = Check()
    ck.eq("type/code", (r[ICMP].type, r[ICMP].code), (3, 4))
    ck.eq("next-hop MTU", bytes(r[ICMP])[6] << 8 | bytes(r[ICMP])[7], 1480)
    ck.eq("ICMPv4 checksum valid", l4_checksum_ok(r), True)
    ck.done()


@case("6to4_bigger_than_tun_mtu", "RFC 7915 §5.1 / RFC 8200 §5 (the gateway as a router)", "6->4",
      "UDP of 1600 bytes from the client (jumbo client link; TUN MTU 1500)",
      "client gets ICMPv6 Packet Too Big with MTU 1500 (the gateway kernel sends it before the "
      "packet reaches the TUN); nothing on s0")
def t_toobig_6to4(n):
    sport = n.next_port()
    p = IPv6(src=CLIENT1, dst=SERVER6) / UDP(sport=sport, dport=7000) / Raw(b"J" * (1600 - 48))
    back, fwd = n.c2s(p, "udp and src port %d" % sport, back_bpf="icmp6 and ip6[40] == 2")
    none(fwd, "UDP on s0")
    r = one(back, "ICMPv6 packet too big on c0")
    ck = Check()
    ck.eq("MTU", r.payload.mtu, 1500)
    ck.done()


# -- fragments --

@case("6to4_fragments", "RFC 7915 §5.1 (Fragment header), §5.1.1", "6->4",
      "UDP datagram of 3000 bytes as three IPv6 fragments (id 0x12345678, 1232-byte pieces)",
      "three IPv4 fragments: ID 0x5678, offsets 0/154/308, MF 1/1/0, DF 0; reassembled payload "
      "identical and its UDP checksum valid")
def t_frag_6to4(n):
    sport = n.next_port()
    data = bytes((i * 7) & 255 for i in range(3000))
    whole = IPv6(src=CLIENT1, dst=SERVER6) / IPv6ExtHdrFragment(id=0x12345678) / \
        UDP(sport=sport, dport=7000) / Raw(data)
    frags = fragment6(whole, 1280)
    got = n.c2s(frags, "ip and src host %s and (udp or ip[6:2] & 0x1fff != 0)" % UPLINK4,
                count=len(frags))
    ck = Check()
    if ck.eq("IPv4 fragments on s0", len(got), 3):
        got.sort(key=lambda f: f.frag)
        ck.eq("IDs", [f.id for f in got], [0x5678] * 3)
        ck.eq("offsets", [f.frag for f in got], [0, 154, 308])
        ck.eq("MF", [bool(f.flags.MF) for f in got], [True, True, False])
        ck.eq("DF", [bool(f.flags.DF) for f in got], [False] * 3)
        ck.eq("proto", [f.proto for f in got], [17] * 3)
        d = reassemble4(got)
        ck.eq("reassembled payload", d[8:], data)
        whole4 = IP(src=got[0].src, dst=got[0].dst, proto=17) / Raw(d)
        ck.eq("reassembled UDP checksum valid", l4_checksum_ok(IP(bytes(whole4))), True)
    ck.done()


@case("4to6_fragments", "RFC 7915 §4.1 (fragmented IPv4)", "4->6",
      "server UDP reply of 2008 bytes as three IPv4 fragments (ID 0x2bcd, 1000-byte pieces)",
      "three IPv6 packets with a Fragment header: id 0x2bcd, offsets 0/125/250, M 1/1/0, next header "
      "17; reassembled payload identical, UDP checksum valid")
def t_frag_4to6(n):
    sport, seen = n.open_udp()
    data = bytes((i * 13) & 255 for i in range(2000))
    whole = n.udp_reply(seen, data, id=0x2bcd)
    frags = fragment(whole, fragsize=1000)
    got = n.s2c(frags, "ip6 and src host %s and ip6[6] == 44" % SERVER6, count=len(frags))
    ck = Check()
    if ck.eq("IPv6 fragments on c0", len(got), 3):
        got.sort(key=lambda f: f[IPv6ExtHdrFragment].offset)
        fh = [f[IPv6ExtHdrFragment] for f in got]
        ck.eq("ids", [h.id for h in fh], [0x2bcd] * 3)
        ck.eq("offsets", [h.offset for h in fh], [0, 125, 250])
        ck.eq("M", [h.m for h in fh], [1, 1, 0])
        ck.eq("next header", [h.nh for h in fh], [17] * 3)
        d = reassemble6(got)
        ck.eq("reassembled payload", d[8:], data)
        w = IPv6(src=got[0].src, dst=got[0].dst, nh=17) / Raw(d)
        ck.eq("reassembled UDP checksum valid", l4_checksum_ok(IPv6(bytes(w))), True)
        ck.eq("dport", struct.unpack("!H", d[2:4])[0], sport)
    ck.done()


@case("4to6_translator_fragments_df0", "RFC 7915 §4.1 (lowest-ipv6-mtu, default 1280)", "4->6",
      "server UDP reply of 1400 bytes, DF = 0, unfragmented (1420 bytes as IPv6)",
      "client gets IPv6 fragments of at most 1280 bytes with the IPv4 ID as identification; "
      "reassembled payload identical, UDP checksum valid")
def t_xlat_frag(n):
    sport, seen = n.open_udp()
    data = bytes((i * 31) & 255 for i in range(1400 - 28))
    p = n.udp_reply(seen, data, id=0x3c3c)
    p[IP].flags = 0
    got = n.s2c(p, "ip6 and src host %s and (ip6[6] == 44 or udp)" % SERVER6, count=2)
    ck = Check()
    frags = [f for f in got if IPv6ExtHdrFragment in f]
    if not ck.true("fragmented", frags and len(frags) == len(got) and len(frags) >= 2,
                   "got %s" % ["%d bytes%s" % (len(f), " (frag)" if IPv6ExtHdrFragment in f else "")
                               for f in got]):
        ck.done()
    ck.eq("sizes <= 1280", [len(f) <= 1280 for f in frags], [True] * len(frags))
    ck.eq("ids", [f[IPv6ExtHdrFragment].id for f in frags], [0x3c3c] * len(frags))
    d = reassemble6(frags)
    ck.eq("reassembled payload", d[8:], data)
    w = IPv6(src=frags[0].src, dst=frags[0].dst, nh=17) / Raw(d)
    ck.eq("reassembled UDP checksum valid", l4_checksum_ok(IPv6(bytes(w))), True)
    ck.done()


# -- extension headers --

def ext_case(name, rfc, hdrs, desc):
    @case(name, rfc, "6->4", "UDP behind " + desc,
          "translated as if the header were not there: IPv4 total length = 20 + UDP length, "
          "protocol 17, UDP checksum valid, payload intact")
    def t(n):
        sport = n.next_port()
        p = IPv6(src=CLIENT1, dst=SERVER6) / hdrs() / UDP(sport=sport, dport=7000) / Raw(b"ext hdr")
        r = one(n.c2s(p, "udp and src host %s and dst port 7000" % UPLINK4), "UDP on s0")
        ck = Check()
        ck.eq("proto", r.proto, 17)
        ck.eq("total length", r.len, 20 + 8 + 7)
        ck.eq("UDP checksum valid", l4_checksum_ok(r), True)
        ck.eq("payload", bytes(r[UDP].payload), b"ext hdr")
        ck.done()


ext_case("6to4_hop_by_hop_skipped", "RFC 7915 §5.1", lambda: IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\0" * 4)]),
         "a Hop-by-Hop Options header (PadN)")
ext_case("6to4_dest_opts_skipped", "RFC 7915 §5.1", lambda: IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 4)]),
         "a Destination Options header")
ext_case("6to4_routing_sl0_skipped", "RFC 7915 §5.1",
         lambda: IPv6ExtHdrRouting(type=0, segleft=0, addresses=["2001:db8:1::99"]),
         "a Routing header with Segments Left 0")
ext_case("6to4_ext_chain_skipped", "RFC 7915 §5.1",
         lambda: IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / IPv6ExtHdrRouting(segleft=0, addresses=[]),
         "Hop-by-Hop + Destination Options + Routing (SL 0)")


def routing_sl_case(name, hdrs, ptr, desc):
    @case(name, "RFC 7915 §5.1 (Routing header, Segments Left > 0); RFC 4443 §3.4", "6->4",
          "UDP behind " + desc,
          "not translated: client gets ICMPv6 4/0 pointer %d (the Segments Left field) from "
          "2001:db8:64::6440:1; nothing on s0" % ptr)
    def t(n):
        sport = n.next_port()
        p = IPv6(src=CLIENT1, dst=SERVER6) / hdrs() / UDP(sport=sport, dport=7000) / Raw(b"routed")
        back, fwd = n.c2s(p, "udp and src host %s" % UPLINK4, back_bpf="icmp6 and ip6[40] == 4")
        none(fwd, "UDP on s0")
        r = one(back, "ICMPv6 parameter problem on c0")
        ck = Check()
        ck.eq("src", r.src, XLAT6)
        ck.eq("type/code", (r.payload.type, r.payload.code), (4, 0))
        ck.eq("pointer", r.payload.ptr, ptr)
        ck.eq("ICMPv6 checksum valid", l4_checksum_ok(r), True)
        ck.done()


routing_sl_case("6to4_routing_sl1_param_problem",
                lambda: IPv6ExtHdrRouting(type=0, segleft=1, addresses=["2001:db8:1::99"]), 43,
                "a Routing header with Segments Left 1")
routing_sl_case("6to4_routing_sl_after_hbh",
                lambda: IPv6ExtHdrHopByHop() / IPv6ExtHdrRouting(type=0, segleft=2,
                                                                 addresses=["2001:db8:1::98", "2001:db8:1::99"]),
                51, "Hop-by-Hop + a Routing header with Segments Left 2")


# -- destinations never translated, sources not served --

def denied_case(name, v4, rfc, why):
    @case(name, rfc, "6->4",
          "UDP to %s (prefix || %s, %s)" % (embed(v4), v4, why),
          "nothing on s0; the client gets ICMPv6 1/1 (admin prohibited) from 2001:db8:64::6440:1 "
          "or nothing; the daemon counts drop denied_dest")
    def t(n):
        before = n.counters().get("drop_denied_dest", 0)
        sport = n.next_port()
        p = IPv6(src=CLIENT1, dst=embed(v4)) / UDP(sport=sport, dport=7000) / Raw(b"denied")
        back, fwd = n.c2s(p, "ip and not arp", back_bpf="icmp6 and ip6[40] == 1", timeout=NEG_WAIT)
        none(fwd, "IPv4 on s0")
        ck = Check()
        if back:
            r = back[0]
            ck.eq("src", r.src, XLAT6)
            ck.eq("type/code", (r.payload.type, r.payload.code), (1, 1))
            ck.eq("ICMPv6 checksum valid", l4_checksum_ok(r), True)
        ck.eq("drop denied_dest increase", n.counters().get("drop_denied_dest", 0) - before, 1)
        ck.done()


denied_case("6to4_dst_loopback", "127.0.0.1", "RFC 7915 §5.1; RFC 6890", "loopback")
denied_case("6to4_dst_link_local", "169.254.1.1", "RFC 7915 §5.1; RFC 3927", "link local")
denied_case("6to4_dst_multicast", "224.0.0.1", "RFC 7915 §5.1; RFC 5771", "multicast")
denied_case("6to4_dst_broadcast", "255.255.255.255", "RFC 7915 §5.1; RFC 919", "limited broadcast")
denied_case("6to4_dst_this_network", "0.0.0.1", "RFC 7915 §5.1; RFC 791", "\"this network\"")
denied_case("6to4_dst_deny_v4", "198.51.100.7", "project rule (deny-v4); RFC 7915 §5.1",
            "in the configured deny-v4 198.51.100.0/24")


@case("6to4_dst_inner_pool", "RFC 7915 §5.1; project rule (docs/operator.md)", "6->4",
      "UDP to prefix || 100.64.0.5 (an address of the inner pool) and prefix || 100.64.0.1 (gateway-v4)",
      "nothing on s0 and nothing comes back to the client as translated traffic")
def t_pool(n):
    sport = n.next_port()
    ps = [IPv6(src=CLIENT1, dst=embed(a)) / UDP(sport=sport, dport=7000) / Raw(b"loop")
          for a in ("100.64.0.5", GATEWAY4)]
    back, fwd = n.c2s(ps, "ip and not arp", back_bpf="ip6 and udp and src port 7000", timeout=NEG_WAIT)
    none(fwd, "IPv4 on s0")
    none(back, "UDP back on c0")


@case("6to4_source_not_client", "project rule (`clients`); RFC 7915 §5.1", "6->4",
      "UDP and echo from 2001:db8:1::200, outside clients = 2001:db8:1::/120",
      "nothing on s0; the daemon counts drop not_client")
def t_notclient(n):
    before = n.counters().get("drop_not_client", 0)
    sport = n.next_port()
    ps = [IPv6(src=CLIENT_OUT, dst=SERVER6) / UDP(sport=sport, dport=7000) / Raw(b"outsider"),
          IPv6(src=CLIENT_OUT, dst=SERVER6) / ICMPv6EchoRequest(id=99, seq=1)]
    got = n.c2s(ps, "ip and not arp", timeout=NEG_WAIT)
    none(got, "IPv4 on s0")
    after = n.counters().get("drop_not_client", 0)
    ck = Check()
    ck.eq("drop not_client increase", after - before, 2)
    ck.done()


# -- RFC 6052 §3.1: the Well-Known Prefix (phase C: prefix 64:ff9b::/96) --

@case("wkp_global_translated", "RFC 6052 §3.1 (WKP, global IPv4)", "6->4", phase="C",
      sent="UDP to 64:ff9b::808:808 (8.8.8.8, global; routed to s0 inside the gateway namespace)",
      checked="translated: s0 sees 8.8.8.8 as destination, the uplink as source")
def t_wkp_ok(n):
    sport = n.next_port()
    p = IPv6(src=CLIENT1, dst=embed("8.8.8.8", "64:ff9b::")) / UDP(sport=sport, dport=7000) / Raw(b"wkp")
    r = one(n.c2s(p, "udp and src port %d" % sport), "UDP on s0")
    ck = Check()
    ck.eq("dst", r.dst, "8.8.8.8")
    ck.eq("src", r.src, UPLINK4)
    ck.done()


def wkp_case(name, v4, why):
    @case(name, "RFC 6052 §3.1 (WKP MUST NOT carry non-global IPv4)", "6->4", phase="C",
          sent="UDP to 64:ff9b::/96 || %s (%s)" % (v4, why),
          checked="nothing on s0 (admin prohibited from gateway-v6 to the client, or silence); the daemon "
                  "counts drop non_global")
    def t(n):
        before = n.counters().get("drop_non_global", 0)
        sport = n.next_port()
        p = IPv6(src=CLIENT1, dst=embed(v4, "64:ff9b::")) / UDP(sport=sport, dport=7000) / Raw(b"wkp")
        back, fwd = n.c2s(p, "ip and not arp", back_bpf="icmp6 and ip6[40] == 1", timeout=NEG_WAIT)
        none(fwd, "IPv4 on s0")
        ck = Check()
        if back:
            ck.eq("type/code", (back[0].payload.type, back[0].payload.code), (1, 1))
            ck.eq("src (gateway-v6)", back[0].src, WKP_GW6)
        ck.eq("drop non_global increase", n.counters().get("drop_non_global", 0) - before, 1)
        ck.done()


wkp_case("wkp_private_dropped", "10.1.2.3", "RFC 1918 private")
wkp_case("wkp_test_net_dropped", SERVER4, "TEST-NET-3, RFC 5737")
wkp_case("wkp_shared_space_dropped", "100.100.1.1", "shared address space, RFC 6598")


# ---- runner ----

PHASES = {
    "A": dict(),
    "B": dict(mtu=9000),
    "C": dict(prefix="64:ff9b::/96", extra=('gateway-v6 = "%s"' % WKP_GW6,)),
}
PHASE_DESC = {
    "A": "prefix 2001:db8:64::/96, TUN MTU 1500",
    "B": "prefix 2001:db8:64::/96, TUN MTU 9000",
    "C": "prefix 64:ff9b::/96 (Well-Known Prefix), TUN MTU 1500",
}


def main(argv):
    verbose = "-v" in argv
    if "--list" in argv:
        for c in CASES:
            print("%-36s %-5s %s\n    sent: %s\n    checked: %s" % (c["name"], c["dir"], c["rfc"],
                                                                  c["sent"], c["checked"]))
        return 0
    sel = []
    args = [a for a in argv if a not in ("-v",)]
    while "-k" in args:
        i = args.index("-k")
        sel.append(args[i + 1])
        del args[i:i + 2]
    if len(args) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    nat64 = os.path.realpath(args[0])
    if os.geteuid() != 0:
        print("conformance: needs root (network namespaces)", file=sys.stderr)
        return 1
    cases = [c for c in CASES if not sel or any(s in c["name"] for s in sel)]
    net = Net(nat64, verbose)
    passed = failed = skipped = 0
    failed_names = []
    t0 = time.monotonic()

    def on_term(sig, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)   # also when started with SIGINT ignored (background job)
    try:
        net.up()
        for ph in sorted({c["phase"] for c in cases}):
            conf = PHASES[ph]
            print("== phase %s: %s" % (ph, PHASE_DESC[ph]))
            net.start(**conf)
            if ph == "C":
                # a global address for the positive WKP case, reached via the server
                sh("ip -n %s route replace 8.8.8.0/24 via %s dev g4" % (NS_G, SERVER4))
            for c in [c for c in cases if c["phase"] == ph]:
                head = "%-36s [%s] %s" % (c["name"], c["rfc"], c["dir"])
                try:
                    c["fn"](net)
                    if c["xfail"]:
                        print("XPASS %s (expected to fail: %s)" % (head, c["xfail"]))
                    else:
                        print("ok    %s" % head)
                    passed += 1
                except Skip as e:
                    print("skip  %s\n      %s" % (head, e))
                    skipped += 1
                except Exception as e:
                    if not isinstance(e, Fail):
                        import traceback
                        e = "error: %s" % "".join(traceback.format_exception_only(type(e), e)).strip()
                    if c["xfail"]:
                        print("XFAIL %s\n      %s (not implemented: %s)" % (head, e, c["xfail"]))
                        skipped += 1
                    else:
                        print("FAIL  %s\n      %s" % (head, e))
                        failed += 1
                        failed_names.append(c["name"])
                if verbose:
                    print("      sent: %s\n      checked: %s" % (c["sent"], c["checked"]))
                sys.stdout.flush()
    except KeyboardInterrupt:
        print("conformance: interrupted", file=sys.stderr)
        failed += 1
    except Exception as e:  # setup trouble: count it, clean up, report
        import traceback
        traceback.print_exc()
        if net.log and os.path.exists(net.log):
            sys.stderr.write(open(net.log).read()[-3000:])
        print("conformance: aborted: %s" % e, file=sys.stderr)
        failed += 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if failed and net.log and os.path.exists(net.log) and verbose:
            sys.stderr.write(open(net.log).read()[-3000:])
        net.down()
    if failed_names:
        print("conformance: failed: %s" % " ".join(failed_names))
    print("conformance: %.1f s" % (time.monotonic() - t0))
    print("conformance: %d passed, %d failed%s" % (passed, failed, ", %d skipped" % skipped if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
