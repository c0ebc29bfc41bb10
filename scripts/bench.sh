#!/bin/bash
# Throughput benchmark: the same client -> gateway -> server topology crossed
# three ways, side by side, in one run on one machine:
#
#   kernel  IPv4 client -> gateway (IPv4 forwarding + nft masquerade) -> IPv4 server
#   nat64   IPv6 client -> gateway (the real nat64 daemon, kernel NAPT) -> IPv4 server
#   tayga   IPv6 client -> gateway (TAYGA on its own TUN + nft masquerade) -> IPv4 server
#
# Every path lives in three network namespaces created here and removed on
# exit (trap, pass or fail); nothing in the default namespace is touched.
# Every load is bounded in time (iperf3 -t under timeout).
#
# usage: scripts/bench.sh [path/to/nat64]          (root)
# env:   REPS=3  BENCH_SECONDS=5  BENCH_PATHS="kernel nat64 tayga"
#        BENCH_TESTS="tcp1 tcp1r tcp4 tcp4r udp64 udp64r udp1400 udp1400r"
#        BENCH_OUT=build/bench  BENCH_PERF=0 (1: perf record the gateway daemons)
#        BENCH_QUIET_WAIT=60 (seconds to wait, per path, for other CPU load to stop)
#        BENCH_NAT64_TUN="" (extra keys for nat64's tun section, e.g. "txqueuelen = 4000 batch = 64")
# Extra path (not in the default list): kernel_nooff, the kernel path with
# TSO/GSO/GRO off on every veth (needs ethtool): per-packet forwarding cost,
# the ceiling of a translator that sees 1500-byte packets.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
NAT64=$(realpath -m "${1:-$TOP/build/nat64}")
REPS=${REPS:-3}
SECS=${BENCH_SECONDS:-5}
PATHS=${BENCH_PATHS:-kernel nat64 tayga}
TESTS=${BENCH_TESTS:-tcp1 tcp1r tcp4 tcp4r udp64 udp64r udp1400 udp1400r}
OUT=$(realpath -m "${BENCH_OUT:-$TOP/build/bench}")
PERF=${BENCH_PERF:-0}
QUIET_WAIT=${BENCH_QUIET_WAIT:-60}	# seconds to wait for other load to go away
PY=/usr/bin/python3
UDPFLOOD=$TOP/build/bench/udpflood

[ "$(id -u)" = 0 ] || { echo "bench: needs root (network namespaces)" >&2; exit 1; }
for t in iperf3 nft ip timeout; do
	command -v "$t" >/dev/null || { echo "bench: $t missing (scripts/deps.sh --bench)" >&2; exit 1; }
done
[ -x "$UDPFLOOD" ] || make -C "$TOP" --no-print-directory build/bench/udpflood >&2 ||
	{ echo "bench: cannot build $UDPFLOOD" >&2; exit 1; }

TAG=bench$$
. "$TOP/tests/e2e/lib.sh"

WORK=$(mktemp -d /tmp/nat64-bench.XXXXXX)
mkdir -p "$OUT"
RECORDS=$OUT/records.jsonl
: > "$RECORDS"
TAGS=""		# every namespace triple created, for the trap
DAEMON_PID=""	# nat64 or tayga of the path being measured
IPERF_S=""

# use_tag T: point NS_C/NS_G/NS_S at the namespaces of path T.
use_tag() {
	NS_C="nat64-c-$1"; NS_G="nat64-g-$1"; NS_S="nat64-s-$1"
}

cleanup() {
	local t
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null
	[ -n "$IPERF_S" ] && kill "$IPERF_S" 2>/dev/null
	for t in $TAGS; do use_tag "$t"; topo_down; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }

# ---------------------------------------------------------------- topology
# All three paths start from lib.sh's topology (client c0 -- g6 gateway g4 --
# s0 server); the kernel path adds IPv4 on the client side.
KCLIENT4=10.99.1.10
KGW4=10.99.1.1
TAYGA_POOL=100.64.1.0/24
TAYGA_ADDR=100.64.1.1

nft_masq() {	# nft_masq SRC-PREFIX: masquerade SRC out of g4 in the gateway ns
	in_g nft -f - <<-NFT
	table ip bench {
		chain post {
			type nat hook postrouting priority srcnat; policy accept;
			ip saddr $1 oifname "g4" counter masquerade
		}
	}
	NFT
}

setup_kernel() {
	in_c ip addr add "$KCLIENT4/24" dev c0
	in_c ip route add default via "$KGW4" dev c0
	in_g ip addr add "$KGW4/24" dev g6
	in_g sysctl -qw net.ipv4.ip_forward=1
	nft_masq 10.99.1.0/24
	DST=$SERVER4
	TUNDEV=none
}

setup_kernel_nooff() {
	command -v ethtool >/dev/null || { log "kernel_nooff: ethtool missing"; return 1; }
	setup_kernel
	in_c ethtool -K c0 tso off gso off gro off >/dev/null 2>&1
	in_g ethtool -K g6 tso off gso off gro off >/dev/null 2>&1
	in_g ethtool -K g4 tso off gso off gro off >/dev/null 2>&1
	in_s ethtool -K s0 tso off gso off gro off >/dev/null 2>&1
}

setup_nat64() {
	[ -x "$NAT64" ] || { log "nat64: $NAT64 not built"; return 1; }
	write_conf "$WORK/nat64.conf"
	[ -n "${BENCH_NAT64_TUN:-}" ] &&
		sed -i "s/mtu = 1500 }/mtu = 1500 $BENCH_NAT64_TUN }/" "$WORK/nat64.conf"
	in_g timeout 20 "$NAT64" -c "$WORK/nat64.conf" plumb > "$WORK/nat64-plumb.log" 2>&1 ||
		{ log "nat64 plumb failed:"; cat "$WORK/nat64-plumb.log" >&2; return 1; }
	ip netns exec "$NS_G" "$NAT64" -c "$WORK/nat64.conf" run > "$WORK/nat64.log" 2>&1 &
	DAEMON_PID=$!
	if ! wait_for 5 grep -q "running on" "$WORK/nat64.log"; then
		log "nat64 run did not come up:"; cat "$WORK/nat64.log" >&2; return 1
	fi
	DST=$SERVER6
	TUNDEV=nat64
}

setup_tayga() {
	command -v tayga >/dev/null || { log "tayga missing (scripts/deps.sh --bench)"; return 1; }
	mkdir -p "$WORK/tayga"
	cat > "$WORK/tayga.conf" <<-CONF
	tun-device tayga0
	ipv4-addr $TAYGA_ADDR
	prefix $PREFIX/96
	dynamic-pool $TAYGA_POOL
	data-dir $WORK/tayga
	CONF
	in_g timeout 10 tayga --mktun -c "$WORK/tayga.conf" > "$WORK/tayga-mktun.log" 2>&1 ||
		{ log "tayga --mktun failed:"; cat "$WORK/tayga-mktun.log" >&2; return 1; }
	in_g ip link set tayga0 up
	in_g ip route add "$TAYGA_POOL" dev tayga0
	in_g ip -6 route add "$PREFIX/96" dev tayga0
	in_g sysctl -qw net.ipv4.ip_forward=1
	in_g sysctl -qw net.ipv6.conf.all.forwarding=1
	nft_masq "$TAYGA_POOL"
	# -d: foreground with debug messages (the man page's way of not detaching)
	ip netns exec "$NS_G" tayga -d -c "$WORK/tayga.conf" > "$WORK/tayga.log" 2>&1 &
	DAEMON_PID=$!
	sleep 0.5
	kill -0 "$DAEMON_PID" 2>/dev/null || { log "tayga exited:"; cat "$WORK/tayga.log" >&2; return 1; }
	DST=$SERVER6
	TUNDEV=tayga0
}

# ---------------------------------------------------------------- sampling
# The daemon's own CPU (all its threads): utime+stime of /proc/PID/stat, ticks.
daemon_ticks() {
	[ -n "$DAEMON_PID" ] && [ -r "/proc/$DAEMON_PID/stat" ] || { echo 0; return; }
	# field 2 (comm) may hold spaces: cut after the last ')'
	sed 's/.*) //' "/proc/$DAEMON_PID/stat" | awk '{ print $12 + $13 }'
}
daemon_rss_kb() {
	[ -n "$DAEMON_PID" ] && awk '/^VmRSS:/ { print $2 }' "/proc/$DAEMON_PID/status" 2>/dev/null || echo 0
}
# Machine-wide (namespaces share the CPUs): softirq and busy (non-idle) ticks.
cpu_ticks() {
	# fields: user nice system idle iowait irq softirq steal
	awk '/^cpu / { print $8, $2+$3+$4+$7+$8, $9; exit }' /proc/stat
}
# Packet counters of the gateway's veths and of the translator's TUN (packets
# the kernel handed to the TUN, and those it dropped because the daemon did
# not read them in time), read inside the gateway ns.
gw_counters() {
	in_g sh -c 'for f in g6/statistics/rx_packets g6/statistics/tx_packets \
		g4/statistics/rx_packets g4/statistics/tx_packets \
		$1/statistics/tx_packets $1/statistics/tx_dropped; do
		cat /sys/class/net/$f 2>/dev/null || echo 0; done' sh "${TUNDEV:-none}" | tr '\n' ' '
}

# ---------------------------------------------------------------- tests
iperf_args() {	# iperf_args TEST: TCP tests run under iperf3
	case $1 in
	tcp1)     echo "" ;;
	tcp1r)    echo "-R" ;;
	tcp4)     echo "-P 4" ;;
	tcp4r)    echo "-P 4 -R" ;;
	*)        return 1 ;;
	esac
}

# UDP tests run under build/bench/udpflood (sendmmsg/recvmmsg): iperf3's UDP
# mode cannot send or receive more than ~100 kpps here, even without any
# gateway.  udp64r/udp1400r: the server floods the client, after a hello from
# the client opened the flow through the NAT.
udp_test() {	# udp_test TEST JSON
	local len=${1#udp} dir=fwd srv cli rc
	case $len in *r) len=${len%r}; dir=rev ;; esac
	if [ "$dir" = fwd ]; then
		in_s timeout $((SECS + 10)) "$UDPFLOOD" rx "$SERVER4" 5301 "$SECS" > "$2.rx" 2>>"$2.err" &
		srv=$!
		sleep 0.3
		in_c timeout $((SECS + 10)) "$UDPFLOOD" tx "$DST" 5301 "$len" "$SECS" > "$2.tx" 2>>"$2.err"
		rc=$?
	else
		in_s timeout $((SECS + 10)) "$UDPFLOOD" rtx "$SERVER4" 5301 "$len" "$SECS" > "$2.tx" 2>>"$2.err" &
		srv=$!
		sleep 0.3
		in_c timeout $((SECS + 10)) "$UDPFLOOD" rrx "$DST" 5301 "$SECS" > "$2.rx" 2>>"$2.err"
		rc=$?
	fi
	wait "$srv" || rc=1
	printf '{"udp":true,"dir":"%s","len":%s,"tx":%s,"rx":%s}\n' "$dir" "$len" \
		"$(cat "$2.tx" 2>/dev/null || echo null)" "$(cat "$2.rx" 2>/dev/null || echo null)" > "$2"
	return $rc
}

run_one() {	# run_one PATH TEST REP
	local path=$1 test=$2 rep=$3 args json rc t0 t1 d0 d1 c0 c1 g0 g1
	json=$WORK/$path-$test-$rep.json
	g0=$(gw_counters); d0=$(daemon_ticks); c0=$(cpu_ticks); t0=$(date +%s.%N)
	case $test in
	udp*)
		udp_test "$test" "$json"
		rc=$? ;;
	*)
		args=$(iperf_args "$test") || { log "unknown test $test"; return; }
		# shellcheck disable=SC2086
		in_c timeout $((SECS + 20)) iperf3 -c "$DST" -t "$SECS" -J --connect-timeout 3000 \
			$args > "$json" 2> "$json.err"
		rc=$? ;;
	esac
	t1=$(date +%s.%N); c1=$(cpu_ticks); d1=$(daemon_ticks); g1=$(gw_counters)
	cp "$json" "$OUT/raw-$path-$test-$rep.json" 2>/dev/null
	printf '{"path":"%s","test":"%s","rep":%s,"rc":%s,"raw":"%s","t0":%s,"t1":%s,"daemon0":%s,"daemon1":%s,"cpu0":[%s],"cpu1":[%s],"gw0":[%s],"gw1":[%s],"hz":%s,"ncpu":%s}\n' \
		"$path" "$test" "$rep" "$rc" "$OUT/raw-$path-$test-$rep.json" "$t0" "$t1" \
		"${d0:-0}" "${d1:-0}" "$(echo $c0 | tr ' ' ,)" "$(echo $c1 | tr ' ' ,)" \
		"$(echo $g0 | tr ' ' ,)" "$(echo $g1 | tr ' ' ,)" "$(getconf CLK_TCK)" "$(nproc)" >> "$RECORDS"
	[ "$rc" = 0 ] || log "$path $test rep $rep: failed (rc $rc) $(head -c 200 "$json.err")"
}

path_meta() {	# path_meta PATH OK RSS_BEFORE RSS_AFTER
	printf '{"path":"%s","meta":true,"ok":%s,"rss_before_kb":%s,"rss_after_kb":%s,"background_busy_pct":%s,"version":"%s"}\n' \
		"$1" "$2" "${3:-0}" "${4:-0}" "${BG_BUSY:-0}" "$([ "$1" = nat64 ] && echo "$VERSION")" >> "$RECORDS"
}

# The machine is shared: CPU busy (% of one core) over 1 s with no load of ours.
background_busy() {
	local a b
	a=$(cpu_ticks); sleep 1; b=$(cpu_ticks)
	set -- $a $b
	echo $(( ($5 - $2) * 100 / $(getconf CLK_TCK) ))
}

bench_path() {	# bench_path PATH
	local path=$1 tag="$TAG$1" ok=1 rss0 rss1 test rep
	TAGS="$TAGS $tag"; use_tag "$tag"
	DAEMON_PID=""; IPERF_S=""; DST=""
	log "== $path: setting up namespaces $NS_C $NS_G $NS_S"
	topo_up || { log "$path: topology failed"; path_meta "$path" false; return; }
	"setup_$path" || ok=0
	if [ "$ok" = 1 ]; then
		ip netns exec "$NS_S" timeout $((REPS * 8 * (SECS + 25) + 60)) iperf3 -s -B "$SERVER4" > "$WORK/iperf3-s-$path.log" 2>&1 &
		IPERF_S=$!
		wait_for 5 sh -c "ip netns exec $NS_S ss -ltn | grep -q ':5201'"
		if ! in_c timeout 5 ping -c 2 -i 0.2 -W 2 "$DST" > "$WORK/ping-$path.log" 2>&1; then
			log "$path: ping $DST failed (measuring anyway)"
		fi
		# wait (bounded) for the machine to be quiet: other load skews every figure
		for _ in $(seq 1 "$QUIET_WAIT"); do
			BG_BUSY=$(background_busy)
			[ "$BG_BUSY" -le 15 ] && break
		done
		[ "$BG_BUSY" -gt 15 ] && log "warning: ${BG_BUSY}% of a core busy before any load: other processes will skew this path"
		rss0=$(daemon_rss_kb)
		for test in $TESTS; do
			for rep in $(seq 1 "$REPS"); do
				log "$path $test rep $rep/$REPS"
				run_one "$path" "$test" "$rep"
				sleep 0.3
			done
		done
		rss1=$(daemon_rss_kb)
		if [ "$PERF" = 1 ] && [ -n "$DAEMON_PID" ] && command -v perf >/dev/null; then
			perf_look "$path"
		fi
		path_meta "$path" true "$rss0" "$rss1"
	else
		path_meta "$path" false
	fi
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	[ -n "$IPERF_S" ] && kill "$IPERF_S" 2>/dev/null && wait "$IPERF_S" 2>/dev/null
	cp "$WORK/nat64.log" "$OUT/nat64-daemon.log" 2>/dev/null
	[ "$path" = tayga ] && cp "$WORK/tayga.log" "$OUT/tayga-daemon.log" 2>/dev/null
	DAEMON_PID=""; IPERF_S=""
	topo_down
}

# perf_look PATH: where the CPU goes (whole machine, flat profile) for a few
# seconds in the middle of a TCP 1-stream and a UDP 64 B load.
perf_look() {
	local p=$1 t load
	for t in tcp1 udp64; do
		log "$p: perf record during $t"
		if [ "$t" = tcp1 ]; then
			in_c timeout $((SECS + 20)) iperf3 -c "$DST" -t "$SECS" > /dev/null 2>&1 &
		else
			udp_test udp64 "$WORK/perf-load.json" > /dev/null 2>&1 &
		fi
		load=$!
		sleep 1
		timeout 20 perf record -q -a -o "$WORK/perf-$p-$t.data" -- sleep 3 > /dev/null 2>&1
		wait "$load"
		{
			echo "# by process (whole machine: other users' processes show up too)"
			timeout 120 perf report -i "$WORK/perf-$p-$t.data" --no-children --sort comm \
				--stdio 2>/dev/null | grep -E '^ +[0-9.]+%' | head -12
			echo "# the daemon ($p) by symbol"
			timeout 120 perf report -i "$WORK/perf-$p-$t.data" --no-children --comm "$(cat /proc/$DAEMON_PID/comm)" \
				--sort dso,sym --stdio 2>/dev/null | grep -E '^ +[0-9.]+%' | head -40
			echo "# the daemon ($p) by object: kernel, libc, the translator's own code"
			timeout 120 perf report -i "$WORK/perf-$p-$t.data" --no-children --comm "$(cat /proc/$DAEMON_PID/comm)" \
				--sort dso --stdio 2>/dev/null | grep -v -e '^#' -e '^$' | head -8
		} > "$OUT/perf-$p-$t.txt"
	done
}

VERSION=$("$NAT64" version 2>/dev/null | head -1 | tr -d '"\\')
log "nat64=$NAT64 (${VERSION:-unknown version}) REPS=$REPS BENCH_SECONDS=$SECS paths: $PATHS tests: $TESTS"
for p in $PATHS; do
	case $p in kernel|kernel_nooff|nat64|tayga) bench_path "$p" ;; *) log "unknown path $p" ;; esac
done
"$PY" "$TOP/scripts/bench/summarise.py" "$RECORDS" "$OUT/results.json" "$OUT/results.txt"
