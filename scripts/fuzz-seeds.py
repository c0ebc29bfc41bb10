#!/usr/bin/python3
"""Writes the seed corpus of the translation fuzz harnesses.

    /usr/bin/python3 scripts/fuzz-seeds.py [OUTDIR]     (default tests/fuzz/corpus)

One file per packet: OUTDIR/6to4/*.bin are IPv6 packets for xlat_6to4,
OUTDIR/4to6/*.bin IPv4 packets for xlat_4to6.  Valid packets of every kind the
translator meets (TCP, UDP, ICMP echo, ICMP errors quoting a packet,
fragments, IPv6 extension headers, IPv4 options), plus a few that exercise
the drop paths.  Addresses fit the harnesses (tests/fuzz/xlat_common.c):
prefix 64:ff9b::/96, inner pool 100.64.0.0/10, and the address bytes that
make the fake map fail.  The output is deterministic; `make fuzz-seeds` runs
this and the result is committed, so building and fuzzing need no scapy.

Needs scapy (Debian: python3-scapy); run it with /usr/bin/python3, since a
`python3` found first on PATH may be another interpreter without it.
"""
import os
import sys

from scapy.all import (  # noqa: F401  (scapy's API is star-shaped)
    ICMP, IP, IPOption_LSRR, IPOption_NOP, IPOption_EOL, IPOption_RR,
    IPOption_Router_Alert, IPOption_Timestamp, IPv6, IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,
    ICMPv6DestUnreach, ICMPv6EchoReply, ICMPv6EchoRequest,
    ICMPv6MLQuery, ICMPv6ND_NS, ICMPv6PacketTooBig, ICMPv6ParamProblem,
    ICMPv6TimeExceeded, Raw, TCP, UDP, raw,
)

PREFIX = "64:ff9b::"
CLIENT = "2001:db8:1::10"        # fake map: last byte 0x10 -> an inner address
# Global addresses: RFC 6052 §3.1 keeps non-global ones (documentation
# ranges included) out of the Well-Known Prefix.
SERVER4 = "8.8.8.8"
SERVER6 = PREFIX + "808:808"     # 8.8.8.8 embedded in the /96
NONGLOBAL4 = "198.51.100.7"
NONGLOBAL6 = PREFIX + "c633:6407"
INNER4 = "100.64.0.5"            # fake map: last byte 5 -> a client
GW6 = PREFIX + "c000:201"        # prefix || 192.0.2.1

TCP_OPTS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("NOP", None), ("WScale", 7)]


def payload(n, seed=0):
    return Raw(bytes((seed + i * 7) & 0xff for i in range(n)))


def v6(src=CLIENT, dst=SERVER6, **kw):
    kw.setdefault("hlim", 64)
    return IPv6(src=src, dst=dst, **kw)


def v4(src=SERVER4, dst=INNER4, **kw):
    kw.setdefault("ttl", 64)
    kw.setdefault("id", 0x1234)
    return IP(src=src, dst=dst, **kw)


def seeds_6to4():
    s = {}
    s["tcp-syn"] = v6() / TCP(sport=40000, dport=443, flags="S", seq=1, options=TCP_OPTS)
    s["tcp-ack-data"] = v6(tc=0x28) / TCP(sport=40000, dport=80, flags="PA", seq=2, ack=9) / payload(100)
    s["tcp-big-df"] = v6() / TCP(sport=40000, dport=80, flags="A") / payload(1300)
    s["udp-dns"] = v6() / UDP(sport=53000, dport=53) / payload(33, 3)
    s["udp-odd-len"] = v6() / UDP(sport=5000, dport=5001) / payload(7, 5)
    zero = v6() / UDP(sport=5000, dport=5001, chksum=0) / payload(16)
    s["udp-zero-csum"] = zero
    s["udp-bad-csum"] = v6() / UDP(sport=5000, dport=5001, chksum=0x1234) / payload(16)
    s["icmp-echo-request"] = v6() / ICMPv6EchoRequest(id=7, seq=1, data=bytes(range(56)))
    s["icmp-echo-reply"] = v6() / ICMPv6EchoReply(id=7, seq=2, data=b"ping")
    # ICMPv6 errors from the client about a packet the server sent it.
    inner_udp = IPv6(src=SERVER6, dst=CLIENT, hlim=60) / UDP(sport=53, dport=53000) / payload(40)
    s["icmp-port-unreach"] = v6() / ICMPv6DestUnreach(code=4) / inner_udp
    s["icmp-admin-prohib"] = v6() / ICMPv6DestUnreach(code=1) / inner_udp
    s["icmp-ptb"] = v6() / ICMPv6PacketTooBig(mtu=1400) / (
        IPv6(src=SERVER6, dst=CLIENT) / TCP(sport=80, dport=40000, flags="A") / payload(200))
    s["icmp-time-exceeded"] = v6() / ICMPv6TimeExceeded(code=0) / (
        IPv6(src=SERVER6, dst=CLIENT, hlim=1) / ICMPv6EchoRequest(id=9, seq=3))
    s["icmp-param-problem"] = v6() / ICMPv6ParamProblem(code=0, ptr=6) / (
        IPv6(src=SERVER6, dst=CLIENT, nh=250) / payload(20))
    s["icmp-param-problem-nh"] = v6() / ICMPv6ParamProblem(code=1, ptr=40) / (
        IPv6(src=SERVER6, dst=CLIENT) / UDP(sport=1, dport=2))
    s["icmp-error-inner-frag"] = v6() / ICMPv6DestUnreach(code=3) / (
        IPv6(src=SERVER6, dst=CLIENT) / IPv6ExtHdrFragment(id=77, m=1, offset=0) /
        UDP(sport=53, dport=53000, len=1200) / payload(64))
    s["icmp-ns"] = v6(dst=SERVER6, hlim=255) / ICMPv6ND_NS(tgt=SERVER6)
    s["icmp-mlq"] = v6(hlim=1) / ICMPv6MLQuery()
    # Fragments of one UDP datagram, and an atomic fragment (RFC 6946).
    frag_udp = raw(UDP(sport=5000, dport=5001) / payload(120))
    s["frag-first"] = v6() / IPv6ExtHdrFragment(nh=17, id=0x11223344, m=1, offset=0) / Raw(frag_udp[:64])
    s["frag-middle"] = v6() / IPv6ExtHdrFragment(nh=17, id=0x11223344, m=1, offset=8) / Raw(frag_udp[64:96])
    s["frag-last"] = v6() / IPv6ExtHdrFragment(nh=17, id=0x11223344, m=0, offset=12) / Raw(frag_udp[96:])
    s["frag-atomic"] = v6() / IPv6ExtHdrFragment(id=5, m=0, offset=0) / ICMPv6EchoRequest(id=1, seq=1)
    s["frag-first-tcp"] = v6() / IPv6ExtHdrFragment(id=6, m=1, offset=0) / Raw(
        raw(TCP(sport=40000, dport=80, flags="A") / payload(100))[:48])
    # Extension header chains.
    s["ext-hbh-udp"] = v6() / IPv6ExtHdrHopByHop() / UDP(sport=1000, dport=2000) / payload(10)
    s["ext-rh0-tcp"] = v6() / IPv6ExtHdrRouting(type=0, segleft=0, addresses=[]) / TCP(sport=1, dport=2)
    s["ext-rh-segleft"] = v6() / IPv6ExtHdrRouting(type=2, segleft=1, addresses=[SERVER6]) / TCP(sport=1, dport=2)
    s["ext-dst-icmp"] = v6() / IPv6ExtHdrDestOpt() / ICMPv6EchoRequest()
    s["ext-chain-frag"] = (v6() / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() /
                           IPv6ExtHdrFragment(id=9, m=1, offset=0) / UDP(sport=3, dport=4, len=100) / payload(16))
    s["ext-no-next"] = v6(nh=59) / payload(8)
    # Drop and reply paths.
    s["hop-limit-1"] = v6(hlim=1) / UDP(sport=1, dport=2)
    s["not-prefix"] = v6(dst="2001:db8:ffff::1") / UDP(sport=1, dport=2)
    s["non-global-dst"] = v6(dst=NONGLOBAL6) / UDP(sport=1, dport=2)
    s["pool-exhausted"] = v6(src="2001:db8:1::fd") / TCP(sport=40000, dport=443, flags="S")
    s["not-client"] = v6(src="2001:db8:1::fc") / UDP(sport=1, dport=2)
    s["map-bug"] = v6(src="2001:db8:1::fb") / UDP(sport=1, dport=2)
    s["proto-sctp"] = v6(nh=132) / payload(32)
    s["icmpv4-in-v6"] = v6(nh=1) / ICMP()
    s["link-padding"] = raw(v6() / UDP(sport=1, dport=2) / payload(4)) + b"\0" * 6
    return s


def seeds_4to6():
    s = {}
    s["tcp-synack"] = v4() / TCP(sport=443, dport=40000, flags="SA", seq=5, ack=2, options=TCP_OPTS)
    s["tcp-data"] = v4(tos=0x28) / TCP(sport=80, dport=40000, flags="PA") / payload(100)
    s["tcp-big-df"] = v4(flags="DF") / TCP(sport=80, dport=40000, flags="A") / payload(1300)
    # DF clear and bigger than lowest-ipv6-mtu: the translator fragments.
    s["udp-big-nodf"] = v4() / UDP(sport=5000, dport=5001) / payload(1500, 9)
    s["frag-first-big"] = v4(flags="MF", proto=17) / Raw(raw(UDP(sport=5000, dport=5001) / payload(3000))[:1600])
    s["udp-dns"] = v4() / UDP(sport=53, dport=53000) / payload(33, 3)
    s["udp-zero-csum"] = v4() / UDP(sport=5000, dport=5001, chksum=0) / payload(17)
    s["udp-bad-csum"] = v4() / UDP(sport=5000, dport=5001, chksum=0x1234) / payload(16)
    s["icmp-echo-reply"] = v4() / ICMP(type=0, id=7, seq=1) / payload(56)
    s["icmp-echo-request"] = v4() / ICMP(type=8, id=7, seq=2) / payload(4)
    # ICMPv4 errors about a packet the client (via its inner address) sent.
    inner_udp = IP(src=INNER4, dst=SERVER4, ttl=60) / UDP(sport=53000, dport=53) / payload(40)
    s["icmp-port-unreach"] = v4() / ICMP(type=3, code=3) / inner_udp
    s["icmp-frag-needed"] = v4() / ICMP(type=3, code=4, nexthopmtu=1400) / (
        IP(src=INNER4, dst=SERVER4, flags="DF") / TCP(sport=40000, dport=80, flags="A") / payload(200))
    s["icmp-frag-needed-0mtu"] = v4() / ICMP(type=3, code=4, nexthopmtu=0) / (
        IP(src=INNER4, dst=SERVER4, flags="DF") / UDP(sport=1, dport=2) / payload(1000))
    s["icmp-host-unreach"] = v4() / ICMP(type=3, code=1) / (
        IP(src=INNER4, dst=SERVER4) / ICMP(type=8, id=1, seq=1))
    s["icmp-admin-prohib"] = v4() / ICMP(type=3, code=13) / inner_udp
    s["icmp-time-exceeded"] = v4() / ICMP(type=11, code=0) / (
        IP(src=INNER4, dst=SERVER4, ttl=1) / ICMP(type=8, id=9, seq=3) / payload(8))
    s["icmp-param-problem"] = v4() / ICMP(type=12, code=0, ptr=9) / (
        IP(src=INNER4, dst=SERVER4, proto=250) / payload(20))
    s["icmp-error-inner-opts"] = v4() / ICMP(type=3, code=3) / (
        IP(src=INNER4, dst=SERVER4, options=[IPOption_RR()]) / UDP(sport=1, dport=2))
    s["icmp-source-quench"] = v4() / ICMP(type=4) / inner_udp
    s["icmp-redirect"] = v4() / ICMP(type=5, gw="192.0.2.9") / inner_udp
    s["icmp-timestamp"] = v4() / ICMP(type=13)
    # Fragments of one UDP datagram.
    frag_udp = raw(UDP(sport=53, dport=53000) / payload(120))
    s["frag-first"] = v4(flags="MF", proto=17) / Raw(frag_udp[:64])
    s["frag-middle"] = v4(flags="MF", frag=8, proto=17) / Raw(frag_udp[64:96])
    s["frag-last"] = v4(frag=12, proto=17) / Raw(frag_udp[96:])
    s["frag-first-zero-csum"] = v4(flags="MF") / UDP(sport=1, dport=2, chksum=0, len=200) / payload(32)
    s["frag-icmp-first"] = v4(flags="MF", proto=1) / Raw(raw(ICMP(type=0) / payload(200))[:96])
    # Options (RFC 7915 §4.1: ignored, except an unexpired source route).
    s["opt-nop-eol"] = v4(options=[IPOption_NOP(), IPOption_EOL()]) / UDP(sport=1, dport=2) / payload(4)
    s["opt-rr"] = v4(options=[IPOption_RR(routers=["192.0.2.1", "192.0.2.2"])]) / TCP(sport=1, dport=2)
    s["opt-ra-ts"] = v4(options=[IPOption_Router_Alert(), IPOption_Timestamp(flg=0)]) / ICMP(type=0)
    s["opt-lsrr-unexpired"] = v4(options=[IPOption_LSRR(routers=["192.0.2.1"], pointer=4)]) / UDP(sport=1, dport=2)
    s["opt-lsrr-expired"] = v4(options=[IPOption_LSRR(routers=["192.0.2.1"], pointer=8)]) / UDP(sport=1, dport=2)
    s["opt-40-bytes"] = v4(options=[IPOption_RR(routers=["192.0.2.%d" % i for i in range(9)])]) / UDP(sport=1, dport=2)
    # Drop paths.
    s["ttl-1"] = v4(ttl=1) / UDP(sport=1, dport=2)
    s["no-binding"] = v4(dst="100.64.0.255") / UDP(sport=1, dport=2)
    s["non-global-src"] = v4(src=NONGLOBAL4) / UDP(sport=1, dport=2)
    s["map-bug"] = v4(dst="100.64.0.254") / UDP(sport=1, dport=2)
    s["proto-gre"] = v4(proto=47) / payload(24)
    s["icmpv6-in-v4"] = v4(proto=58) / payload(8)
    s["link-padding"] = raw(v4() / UDP(sport=1, dport=2) / payload(4)) + b"\0" * 6
    bad = bytearray(raw(v4() / UDP(sport=1, dport=2)))
    bad[10] ^= 0xff
    s["bad-header-csum"] = bytes(bad)
    return s


def write(outdir, seeds):
    os.makedirs(outdir, exist_ok=True)
    for old in os.listdir(outdir):
        if old.endswith(".bin"):
            os.unlink(os.path.join(outdir, old))
    for name, pkt in sorted(seeds.items()):
        data = pkt if isinstance(pkt, bytes) else raw(pkt)
        assert len(data) < 2048, name
        with open(os.path.join(outdir, name + ".bin"), "wb") as f:
            f.write(data)
    print("%s: %d seeds" % (outdir, len(seeds)))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/fuzz/corpus"
    write(os.path.join(out, "6to4"), seeds_6to4())
    write(os.path.join(out, "4to6"), seeds_4to6())


if __name__ == "__main__":
    main()
