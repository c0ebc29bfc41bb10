#!/usr/bin/python3
"""Floods the gateway with malformed and hostile packets (run inside the
client or server namespace of the e2e topology; sends only there).

usage: flood.py v6 IFACE DST SRC COUNT SEED NEXTHOP
       flood.py v4 IFACE DST SRC COUNT SEED SPORT DPORT NEXTHOP
"""
import random
import sys

from scapy.all import (ICMPv6DestUnreach, ICMPv6EchoRequest, ICMPv6PacketTooBig,
                       ICMPv6TimeExceeded, IP, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,
                       ICMP, TCP, UDP, Raw, conf, sendp, Ether, getmacbyip6, getmacbyip)

conf.verb = 0


def junk(rnd, lo=0, hi=120):
    return bytes(rnd.getrandbits(8) for _ in range(rnd.randint(lo, hi)))


def chain(hdr, n):
    """n extension headers of one kind, stacked."""
    out = hdr()
    for _ in range(n - 1):
        out = out / hdr()
    return out


def v6_packets(rnd, dst, src, count):
    """IPv6 headers the kernel forwards (version, length right), anything after."""
    kinds = [
        lambda: IPv6(src=src, dst=dst, nh=rnd.choice([6, 17, 58]), hlim=64) / junk(rnd, 0, 60),
        lambda: IPv6(src=src, dst=dst, nh=rnd.randint(0, 255)) / junk(rnd),
        lambda: IPv6(src=src, dst=dst) / TCP(dataofs=rnd.randint(0, 15), chksum=rnd.getrandbits(16)) / junk(rnd, 0, 40),
        lambda: IPv6(src=src, dst=dst) / UDP(len=rnd.randint(0, 2000), chksum=rnd.getrandbits(16)) / junk(rnd, 0, 40),
        lambda: IPv6(src=src, dst=dst) / ICMPv6DestUnreach(code=rnd.randint(0, 9)) / junk(rnd, 0, 200),
        lambda: IPv6(src=src, dst=dst) / ICMPv6PacketTooBig(mtu=rnd.getrandbits(32)) / IPv6(src=dst, dst=src, plen=rnd.getrandbits(16)) / junk(rnd, 0, 60),
        lambda: IPv6(src=src, dst=dst) / ICMPv6TimeExceeded() / IPv6(src=dst, dst=src, nh=rnd.randint(0, 255)) / junk(rnd, 0, 40),
        lambda: IPv6(src=src, dst=dst) / ICMPv6EchoRequest(type=rnd.randint(0, 255), code=rnd.randint(0, 255)) / junk(rnd, 0, 50),
        lambda: IPv6(src=src, dst=dst) / IPv6ExtHdrDestOpt() / IPv6ExtHdrRouting(segleft=rnd.randint(0, 3)) / junk(rnd, 0, 40),
        lambda: IPv6(src=src, dst=dst) / IPv6ExtHdrFragment(offset=rnd.getrandbits(13), m=rnd.getrandbits(1), nh=rnd.choice([6, 17, 58, 44, 0])) / junk(rnd, 0, 80),
        lambda: IPv6(src=src, dst=dst) / chain(IPv6ExtHdrDestOpt, rnd.randint(1, 12)) / UDP() / junk(rnd, 0, 20),
        lambda: IPv6(src=src, dst=dst, nh=60) / bytes([rnd.choice([6, 17, 60, 43]), rnd.randint(0, 255)]) / junk(rnd, 0, 30),
    ]
    for _ in range(count):
        yield rnd.choice(kinds)()


def v4_packets(rnd, dst, src, count, sport, dport):
    """Packets of an established UDP/ICMP flow with hostile contents."""
    kinds = [
        lambda: IP(src=src, dst=dst, tos=rnd.getrandbits(8), flags=rnd.getrandbits(3), frag=rnd.getrandbits(13)) / UDP(sport=sport, dport=dport, len=rnd.randint(8, 200)) / junk(rnd, 0, 100),
        lambda: IP(src=src, dst=dst) / UDP(sport=sport, dport=dport, chksum=0) / junk(rnd, 0, 100),
        lambda: IP(src=src, dst=dst, ttl=rnd.randint(0, 2)) / UDP(sport=sport, dport=dport) / junk(rnd, 0, 100),
        lambda: IP(src=src, dst=dst, flags=1) / UDP(sport=sport, dport=dport) / junk(rnd, 8, 600),
        lambda: IP(src=src, dst=dst) / ICMP(type=3, code=rnd.randint(0, 15)) / IP(src=dst, dst=src, ihl=rnd.randint(0, 15)) / UDP(sport=dport, dport=sport) / junk(rnd, 0, 40),
        lambda: IP(src=src, dst=dst) / ICMP(type=rnd.choice([3, 11, 12]), code=rnd.randint(0, 255)) / junk(rnd, 0, 80),
    ]
    for _ in range(count):
        yield rnd.choice(kinds)()


def main():
    mode, iface, dst, src, count, seed = sys.argv[1:7]
    rnd = random.Random(int(seed))
    count = int(count)
    if mode == "v6":
        mac = getmacbyip6(sys.argv[7]) if len(sys.argv) > 7 else None
        pkts = [Ether(dst=mac) / p for p in v6_packets(rnd, dst, src, count)]
    else:
        sport, dport = int(sys.argv[7]), int(sys.argv[8])
        mac = getmacbyip(sys.argv[9]) if len(sys.argv) > 9 else None
        pkts = [Ether(dst=mac) / p for p in v4_packets(rnd, dst, src, count, sport, dport)]
    sendp(pkts, iface=iface)
    print(f"flood: sent {len(pkts)} packets")


if __name__ == "__main__":
    main()
