#!/usr/bin/python3
"""Summarise scripts/bench.sh records: medians per path and test, ratios.

usage: summarise.py RECORDS.jsonl RESULTS.json RESULTS.txt [MICRO.txt]

RECORDS.jsonl holds one line per repetition (written by bench.sh) pointing
at the raw iperf3 / udpflood JSON, with counter snapshots taken around it,
plus one "meta" line per path (did it come up, daemon RSS before/after).
MICRO.txt (default: next to RESULTS.txt) holds the micro-benchmarks' output;
its "result KEY=VALUE" lines are copied into RESULTS.json.
"""
import json
import os
import statistics
import sys

PATHS = ["kernel", "kernel_nooff", "nat64", "tayga"]
TEST_ORDER = ["tcp1", "tcp1r", "tcp4", "tcp4r", "udp64", "udp64r", "udp1400", "udp1400r"]
TEST_NAME = {
    "tcp1": "TCP 1 stream  c->s", "tcp1r": "TCP 1 stream  s->c",
    "tcp4": "TCP 4 streams c->s", "tcp4r": "TCP 4 streams s->c",
    "udp64": "UDP 64 B      c->s", "udp64r": "UDP 64 B      s->c",
    "udp1400": "UDP 1400 B    c->s", "udp1400r": "UDP 1400 B    s->c",
}
# gw counters, in bench.sh's gw_counters order
G6_RX, G6_TX, G4_RX, G4_TX, TUN_TX, TUN_DROP = range(6)
TARGETS = [  # (test, minimum nat64/kernel ratio of the headline figure)
    ("tcp1", 0.7), ("tcp1r", 0.7), ("tcp4", 0.5), ("tcp4r", 0.5), ("udp64", 0.8), ("udp64r", 0.8),
]
BYTES_PER_BINDING_MAX = 128


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def metrics(rec):
    """Figures of one repetition, or None if it failed."""
    if rec.get("rc") != 0:
        return None
    raw = load_json(rec["raw"])
    if not raw:
        return None
    wall = rec["t1"] - rec["t0"]
    hz = rec["hz"]
    d = lambda a, b, i: rec[b][i] - rec[a][i]
    m = {
        "daemon_cpu_pct": 100.0 * (rec["daemon1"] - rec["daemon0"]) / hz / wall,
        "softirq_pct": 100.0 * d("cpu0", "cpu1", 0) / hz / wall,
        "busy_pct": 100.0 * d("cpu0", "cpu1", 1) / hz / wall,
        "steal_pct": 100.0 * d("cpu0", "cpu1", 2) / hz / wall if len(rec["cpu0"]) > 2 else 0.0,
    }
    if raw.get("udp"):
        tx, rx = raw.get("tx"), raw.get("rx")
        if not tx or not rx or not tx.get("seconds"):
            return None
        fwd = raw["dir"] == "fwd"
        secs = tx["seconds"]
        m.update({
            "sent": tx["sent"],
            "gw_in": d("gw0", "gw1", G6_RX if fwd else G4_RX),
            "gw_out": d("gw0", "gw1", G4_TX if fwd else G6_TX),
            "received": rx["received"],
            "tun_drop": d("gw0", "gw1", TUN_DROP),
            "loss_pct": 100.0 * (1 - rx["received"] / tx["sent"]) if tx["sent"] else 100.0,
            "sent_kpps": tx["sent"] / secs / 1e3,
            "rx_kpps": rx["received"] / secs / 1e3,
            "rx_mbps": rx["bytes"] * 8 / secs / 1e6,
        })
        m["headline"] = m["rx_kpps"]
    else:
        end = raw.get("end", {})
        recv = end.get("sum_received", {})
        if raw.get("error") or not recv.get("bits_per_second"):
            return None
        m["gbps"] = recv["bits_per_second"] / 1e9
        m["retransmits"] = end.get("sum_sent", {}).get("retransmits", 0)
        m["headline"] = m["gbps"]
    return m


def median_of(runs):
    keys = runs[0].keys()
    return {k: statistics.median(r[k] for r in runs) for k in keys}


def fmt(v, prec=2):
    if v is None:
        return "failed"
    if isinstance(v, float) and abs(v) >= 1000:
        return f"{v:.0f}"
    return f"{v:.{prec}f}" if isinstance(v, float) else str(v)


def ratio(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


def read_micro(path):
    out = {}
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("result ") and "=" in line:
                    k, v = line[7:].strip().split("=", 1)
                    try:
                        out[k] = float(v)
                    except ValueError:
                        out[k] = v
    except OSError:
        pass
    return out


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    records_path, json_out, txt_out = sys.argv[1:4]
    micro_path = sys.argv[4] if len(sys.argv) > 4 else os.path.join(os.path.dirname(txt_out), "micro.txt")
    runs, meta, reps = {}, {}, {}
    with open(records_path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            rec = json.loads(line)
            if rec.get("meta"):
                meta[rec["path"]] = rec
                continue
            key = (rec["path"], rec["test"])
            reps[key] = reps.get(key, 0) + 1
            m = metrics(rec)
            if m:
                runs.setdefault(key, []).append(m)
    tests = [t for t in TEST_ORDER if any(k[1] == t for k in reps)]
    tests += sorted({k[1] for k in reps} - set(tests))
    paths = [p for p in PATHS if p in meta or any(k[0] == p for k in reps)]

    results = {"paths": {}, "tests": {}, "micro": read_micro(micro_path), "targets": []}
    for p in paths:
        mt = meta.get(p, {})
        results["paths"][p] = {"ok": mt.get("ok", False),
                               "rss_before_kb": mt.get("rss_before_kb", 0),
                               "rss_after_kb": mt.get("rss_after_kb", 0),
                               "background_busy_pct": mt.get("background_busy_pct", 0),
                               "version": mt.get("version", "")}
    for t in tests:
        entry = {}
        for p in paths:
            r = runs.get((p, t), [])
            entry[p] = {"reps": reps.get((p, t), 0), "ok_reps": len(r),
                        "median": median_of(r) if r else None}
        head = {p: (entry[p]["median"] or {}).get("headline") if entry[p]["median"] else None for p in paths}
        entry["nat64_over_kernel"] = ratio(head.get("nat64"), head.get("kernel"))
        entry["nat64_over_tayga"] = ratio(head.get("nat64"), head.get("tayga"))
        entry["unit"] = "kpps received" if t.startswith("udp") else "Gbit/s"
        results["tests"][t] = entry

    lines = []
    w = lines.append
    w("Headline figures (median of repetitions): TCP in Gbit/s received, UDP in kpps received")
    w(f"{'test':<20}{'unit':>8}" + "".join(f"{p:>13}" for p in paths) + f"{'nat64/kern':>12}{'nat64/tayga':>12}")
    for t in tests:
        e = results["tests"][t]
        row = f"{TEST_NAME.get(t, t):<20}{'Gbit/s' if not t.startswith('udp') else 'kpps':>8}"
        for p in paths:
            med = e[p]["median"]
            row += f"{fmt(med['headline']) if med else 'failed':>13}"
        row += f"{fmt(e['nat64_over_kernel']) if e['nat64_over_kernel'] is not None else '-':>12}"
        row += f"{fmt(e['nat64_over_tayga']) if e['nat64_over_tayga'] is not None else '-':>12}"
        w(row)
    w("")
    w("Details per test and path (medians).  cpu: daemon = the gateway daemon's own threads")
    w("(utime+stime of /proc/PID/stat, % of one core); softirq and busy = whole machine")
    w("(/proc/stat, % of one core, max 100 x nproc), since the namespaces share the CPUs.")
    w(f"{'test':<10}{'path':<13}{'sent kpps':>10}{'gw in':>10}{'tun drop':>10}{'gw out':>10}{'received':>10}"
      f"{'loss %':>8}{'Gbit/s':>8}{'retr':>7}{'daemon%':>8}{'softirq%':>9}{'busy%':>7}{'ok':>5}")
    for t in tests:
        e = results["tests"][t]
        for p in paths:
            m = e[p]["median"]
            ok = f"{e[p]['ok_reps']}/{e[p]['reps']}"
            if not m:
                w(f"{t:<10}{p:<13}{'failed':>10}" + " " * 90 + f"{ok:>5}")
                continue
            if t.startswith("udp"):
                w(f"{t:<10}{p:<13}{m['sent_kpps']:>10.0f}{m['gw_in']:>10.0f}{m['tun_drop']:>10.0f}{m['gw_out']:>10.0f}"
                  f"{m['received']:>10.0f}{m['loss_pct']:>8.1f}{m['rx_mbps'] / 1e3:>8.2f}{'':>7}"
                  f"{m['daemon_cpu_pct']:>8.0f}{m['softirq_pct']:>9.0f}{m['busy_pct']:>7.0f}{ok:>5}")
            else:
                w(f"{t:<10}{p:<13}{'':>10}{'':>10}{'':>10}{'':>10}{'':>10}{'':>8}{m['gbps']:>8.2f}"
                  f"{m['retransmits']:>7.0f}{m['daemon_cpu_pct']:>8.0f}{m['softirq_pct']:>9.0f}"
                  f"{m['busy_pct']:>7.0f}{ok:>5}")
    w("UDP: gw in/tun drop/gw out/received are packet counts over the run (gw in/out: the")
    w("gateway's ingress/egress veth; tun drop: tx_dropped of the translator's TUN, packets the")
    w("daemon did not read in time; all from /sys/class/net/*/statistics in the gateway ns);")
    w("sent kpps is the sender's rate; loss = 1 - received/sent; Gbit/s is received payload.")
    w("TCP: retr = sender retransmits.  CPU accounting is tick-based on this kernel: the daemon's")
    w("share includes the softirq work (forwarding, nft, conntrack, the receiver's stack) that")
    w("runs in its context after each TUN write.")
    w("")
    for p in paths:
        info = results["paths"][p]
        if not info["ok"]:
            w(f"{p}: FAILED to come up (see the bench log)")
        else:
            rss = (f"VmRSS {info['rss_before_kb']} kB before the tests, {info['rss_after_kb']} kB after; "
                   if not p.startswith("kernel") else "")
            ver = f" ({info['version']})" if info.get("version") else ""
            w(f"{p}{ver}: {rss}background CPU before the tests: {info['background_busy_pct']}% of a core")
    micro = results["micro"]
    bpb = micro.get("bindings.bytes_per_binding")
    w("")
    w("Targets (nat64 against the kernel path):")
    for t, lim in TARGETS:
        if t not in results["tests"]:
            continue
        r = results["tests"][t]["nat64_over_kernel"]
        verdict = "n/a" if r is None else ("met" if r >= lim else "NOT met")
        results["targets"].append({"test": t, "min_ratio": lim, "ratio": r, "met": r is not None and r >= lim})
        w(f"  {TEST_NAME.get(t, t):<20} >= {lim:.1f}x kernel: {fmt(r) if r is not None else 'n/a':>6}  {verdict}")
    if bpb is not None:
        met = bpb <= BYTES_PER_BINDING_MAX
        results["targets"].append({"test": "bytes_per_binding", "max": BYTES_PER_BINDING_MAX,
                                   "value": bpb, "met": met})
        w(f"  bytes per binding <= {BYTES_PER_BINDING_MAX}: {bpb:.0f}  {'met' if met else 'NOT met'}")
    text = "\n".join(lines) + "\n"
    with open(json_out, "w") as f:
        json.dump(results, f, indent=1)
    with open(txt_out, "w") as f:
        f.write(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
