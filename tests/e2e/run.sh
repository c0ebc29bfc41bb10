#!/bin/bash
# End-to-end tests: the real nat64 binary between an IPv6-only client
# namespace and an IPv4-only server namespace.  Every namespace is created
# here and removed on exit, pass or fail; every wait is bounded.
#
# usage: tests/e2e/run.sh path/to/nat64 [test-name...]
set -u
NAT64=$(realpath "${1:?usage: run.sh NAT64_BINARY [test...]}")
shift
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"

if [ "$(id -u)" != 0 ]; then
	echo "e2e: needs root (network namespaces)" >&2
	exit 1
fi

WORK=$(mktemp -d /tmp/nat64-e2e.XXXXXX)
DAEMON_PID=
cleanup() {
	[ -n "$DAEMON_PID" ] && kill -9 "$DAEMON_PID" 2>/dev/null
	topo_down
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0 failed=0 failed_names=""
FAILED=
fail() { echo "    FAIL: $*"; FAILED=1; return 1; }

# ---- helpers -------------------------------------------------------------

start_daemon() {	# start_daemon CONF: run nat64 in the gateway namespace
	# not through in_g: $! must be the daemon itself, not a subshell
	ip netns exec "$NS_G" "$NAT64" -c "$1" run > "$WORK/daemon.log" 2>&1 &
	DAEMON_PID=$!
	wait_for 5 grep -q "running on" "$WORK/daemon.log" ||
		{ cat "$WORK/daemon.log"; fail "daemon did not start"; }
}

stop_daemon() {		# stop_daemon: SIGTERM, must be gone within a second
	local pid=$DAEMON_PID rc
	[ -n "$pid" ] || return 0
	DAEMON_PID=
	kill -TERM "$pid"
	# gone or a zombie (exited, not yet reaped by this shell)
	if ! wait_for 1 sh -c "[ ! -e /proc/$pid ] || [ \"\$(cut -d' ' -f3 /proc/$pid/stat)\" = Z ]"; then
		kill -9 "$pid"
		fail "run did not stop within 1 s of SIGTERM"
		return 1
	fi
	wait "$pid"; rc=$?
	[ "$rc" = 0 ] || fail "run exited $rc after SIGTERM"
}

counters() {		# counters: ask the daemon to log its counters, print the log
	kill -USR1 "$DAEMON_PID"
	sleep 0.3
	cat "$WORK/daemon.log"
}

nothing_plumbed() {	# the gateway namespace holds no trace of nat64
	local ns=${1:-$NS_G}
	! ip netns exec "$ns" ip link show nat64 >/dev/null 2>&1 || { fail "TUN still there"; return 1; }
	[ -z "$(ip netns exec "$ns" ip route show proto 64)" ] || { fail "IPv4 route left"; return 1; }
	[ -z "$(ip netns exec "$ns" ip -6 route show proto 64)" ] || { fail "IPv6 route left"; return 1; }
	! ip netns exec "$ns" nft list table inet nat64 >/dev/null 2>&1 || { fail "nft table left"; return 1; }
}

fresh() {		# fresh: new topology, plumbed with CONF (default config)
	topo_down
	topo_up || return 1
	write_conf "$WORK/nat64.conf" "$@"
	in_g "$NAT64" -c "$WORK/nat64.conf" plumb > "$WORK/plumb.log" 2>&1 ||
		{ cat "$WORK/plumb.log"; fail "plumb failed"; }
}

# ---- tests ---------------------------------------------------------------

test_bad_config_changes_nothing() {
	topo_down; topo_up || return 1
	write_conf "$WORK/bad.conf" 'napt = "kernel"'
	sed -i 's#inner-pool = "[^"]*"#inner-pool = "100.64.0.0/33"#' "$WORK/bad.conf"
	local out rc
	out=$(in_g "$NAT64" -c "$WORK/bad.conf" plumb 2>&1); rc=$?
	[ "$rc" != 0 ] || fail "plumb with a bad config exited 0" || return 1
	echo "$out" | grep -q "inner-pool" || fail "message does not name the key: $out" || return 1
	echo "$out" | grep -q "bad.conf" || fail "message does not name the file: $out" || return 1
	nothing_plumbed || return 1
	out=$(in_g "$NAT64" -c "$WORK/bad.conf" check 2>&1) && fail "check accepted a bad config"
	return 0
}

test_run_refuses_without_plumb() {
	topo_down; topo_up || return 1
	write_conf "$WORK/nat64.conf"
	local out rc
	out=$(timeout 5 ip netns exec "$NS_G" "$NAT64" -c "$WORK/nat64.conf" run 2>&1); rc=$?
	[ "$rc" != 0 ] && [ "$rc" != 124 ] || fail "run without TUN exited $rc" || return 1
	echo "$out" | grep -q "nat64 plumb" || fail "message does not say to plumb: $out" || return 1
	nothing_plumbed
}

test_plumb_shows_table_and_routes() {
	fresh || return 1
	local rs
	rs=$(in_g nft list ruleset)
	echo "$rs" | grep -q "table inet nat64" || fail "no nat64 table: $rs" || return 1
	echo "$rs" | grep -q 'oifname "g4" ip saddr 100.64.0.0/24 counter packets 0 bytes 0 masquerade' ||
		fail "no masquerade rule: $rs" || return 1
	[ "$(echo "$rs" | grep -c 'comment "nat64')" -ge 4 ] || fail "rules without comments" || return 1
	in_g ip -6 route show proto 64 | grep -q "^${PREFIX}/96 dev nat64" || fail "no prefix route" || return 1
	in_g ip route show proto 64 | grep -q "^$POOL dev nat64" || fail "no pool route" || return 1
	[ "$(in_g sysctl -n net.ipv4.ip_forward)" = 1 ] || fail "IPv4 forwarding off" || return 1
	[ "$(in_g sysctl -n net.ipv6.conf.all.forwarding)" = 1 ] || fail "IPv6 forwarding off"
}

test_reference_ruleset_matches() {
	# nft/nat64.nft is what plumb installs for examples/nat64.conf
	topo_down; topo_up || return 1
	in_g "$NAT64" -c "$TOP/examples/nat64.conf" plumb || fail "plumb of the example failed" || return 1
	in_g nft -s list table inet nat64 > "$WORK/actual.nft"
	diff -u <(grep -v '^#' "$TOP/nft/nat64.nft" | sed '/^$/d') <(sed '/^$/d' "$WORK/actual.nft") ||
		fail "nft/nat64.nft differs from the installed table" || return 1
	in_g "$NAT64" -c "$TOP/examples/nat64.conf" unplumb || fail "unplumb failed" || return 1
	nothing_plumbed
}

test_plumb_twice_is_noop() {
	fresh || return 1
	start_daemon "$WORK/nat64.conf" || return 1
	in_c ping -6 -c 1 -W 2 -I "$CLIENT1" "$SERVER6" >/dev/null || fail "ping failed" || return 1
	local before after
	before=$( { in_g nft list ruleset; in_g ip route show proto 64; in_g ip -6 route show proto 64; in_g ip -d link show nat64; } 2>&1)
	in_g "$NAT64" -c "$WORK/nat64.conf" plumb || fail "second plumb failed" || return 1
	after=$( { in_g nft list ruleset; in_g ip route show proto 64; in_g ip -6 route show proto 64; in_g ip -d link show nat64; } 2>&1)
	[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after"); fail "second plumb changed something"; return 1; }
	echo "$before" | grep -q "masquerade" || fail "snapshot empty"
	stop_daemon
}

test_ping_two_clients() {
	fresh || return 1
	start_daemon "$WORK/nat64.conf" || return 1
	in_c ping -6 -c 3 -i 0.2 -W 2 -I "$CLIENT1" "$SERVER6" > "$WORK/p1" || { cat "$WORK/p1"; fail "ping from client 1"; return 1; }
	in_c ping -6 -c 3 -i 0.2 -W 2 -I "$CLIENT2" "$SERVER6" > "$WORK/p2" || { cat "$WORK/p2"; fail "ping from client 2"; return 1; }
	grep -q "3 received" "$WORK/p1" && grep -q "3 received" "$WORK/p2" || fail "replies lost" || return 1
	# Two clients, two inner addresses, both masqueraded to the uplink.
	local inner
	inner=$(in_g conntrack -L -p icmp 2>/dev/null | grep -o 'src=100\.64\.0\.[0-9]*' | sort -u | wc -l)
	[ "$inner" = 2 ] || fail "expected 2 inner addresses in conntrack, saw $inner" || return 1
	counters | grep -q "tx4 6 " || fail "counters do not show 6 translated echo requests" || return 1
	stop_daemon
}

test_tcp_10mb_verified() {
	fresh || return 1
	start_daemon "$WORK/nat64.conf" || return 1
	head -c 12000000 /dev/urandom > "$WORK/blob"
	in_s timeout 30 socat -d -d -u TCP4-LISTEN:9000,reuseaddr CREATE:"$WORK/recv" 2> "$WORK/socat.log" &
	local srv=$!
	wait_for 5 sh -c "ip netns exec $NS_S ss -ltn | grep -q :9000" || fail "server not listening" || return 1
	in_c timeout 30 socat -u FILE:"$WORK/blob" TCP6:["$SERVER6"]:9000 || fail "upload failed" || return 1
	wait "$srv"
	cmp -s "$WORK/blob" "$WORK/recv" || fail "upload content differs" || return 1
	grep -q "from AF=2 $UPLINK4:" "$WORK/socat.log" || { cat "$WORK/socat.log"; fail "server did not see the uplink address"; return 1; }
	# and the other way: the server sends 12 MB to the client
	in_s timeout 30 socat -u FILE:"$WORK/blob" TCP4-LISTEN:9001,reuseaddr &
	srv=$!
	wait_for 5 sh -c "ip netns exec $NS_S ss -ltn | grep -q :9001" || fail "server not listening" || return 1
	in_c timeout 30 socat -u TCP6:["$SERVER6"]:9001 CREATE:"$WORK/down" || fail "download failed" || return 1
	wait "$srv"
	cmp -s "$WORK/blob" "$WORK/down" || fail "download content differs"
	stop_daemon
}

test_plain_io_without_offload() {
	# one read()/write() per packet and no virtio-net headers: the other loop
	fresh || return 1
	sed -i 's/mtu = 1500 }/mtu = 1500 batch = 0 offload = "off" }/' "$WORK/nat64.conf"
	start_daemon "$WORK/nat64.conf" || return 1
	grep -q "TUN offloads" "$WORK/daemon.log" && fail "offloads on although off in the config"
	in_c ping -6 -c 2 -i 0.2 -W 2 -I "$CLIENT1" "$SERVER6" >/dev/null || fail "ping" || return 1
	head -c 3000000 /dev/urandom > "$WORK/blob"
	in_s timeout 30 socat -u TCP4-LISTEN:9000,reuseaddr CREATE:"$WORK/recv" &
	local srv=$!
	wait_for 5 sh -c "ip netns exec $NS_S ss -ltn | grep -q :9000" || fail "server not listening" || return 1
	in_c timeout 30 socat -u FILE:"$WORK/blob" TCP6:["$SERVER6"]:9000 || fail "upload failed" || return 1
	wait "$srv"
	cmp -s "$WORK/blob" "$WORK/recv" || fail "upload content differs" || return 1
	counters | grep -q " gso 0 " || fail "super-packets without offload?" || return 1
	stop_daemon
}

test_udp_request_response() {
	fresh || return 1
	start_daemon "$WORK/nat64.conf" || return 1
	in_s timeout 10 socat UDP4-RECVFROM:9002,fork SYSTEM:'read l; echo "pong $l from $SOCAT_PEERADDR"' &
	wait_for 5 sh -c "ip netns exec $NS_S ss -lun | grep -q :9002" || fail "server not listening" || return 1
	local out
	out=$(echo ping1 | in_c timeout 5 socat -T 2 - UDP6:["$SERVER6"]:9002 2>&1)
	[ "$out" = "pong ping1 from $UPLINK4" ] || fail "UDP answer was '$out'"
	stop_daemon
}

test_source_outside_clients_dropped() {
	fresh 'clients = {"2001:db8:1::/120"}' || return 1
	start_daemon "$WORK/nat64.conf" || return 1
	in_c ping -6 -c 2 -i 0.2 -W 1 -I "$CLIENT_OUT" "$SERVER6" >/dev/null 2>&1 &&
		fail "a source outside clients got through" && return 1
	in_c ping -6 -c 1 -W 2 -I "$CLIENT1" "$SERVER6" >/dev/null || fail "allowed client blocked" || return 1
	counters | grep -Eq "drop not_client ([2-9]|[1-9][0-9]+)$" || fail "drops of the outside source not counted" || return 1
	stop_daemon
}

test_pool_exhausted_refuses_new_clients() {
	# /30 with the gateway in it: one address for clients
	topo_down; topo_up || return 1
	write_conf "$WORK/small.conf"
	sed -i 's#inner-pool = "[^"]*"#inner-pool = "100.64.0.0/30"#' "$WORK/small.conf"
	in_g "$NAT64" -c "$WORK/small.conf" plumb || fail "plumb" || return 1
	start_daemon "$WORK/small.conf" || return 1
	in_c ping -6 -c 1 -W 2 -I "$CLIENT1" "$SERVER6" >/dev/null || fail "first client refused" || return 1
	local out
	out=$(in_c ping -6 -c 1 -W 2 -I "$CLIENT2" "$SERVER6" 2>&1)
	echo "$out" | grep -qi "administratively prohibited" || fail "second client not told: $out" || return 1
	in_c ping -6 -c 1 -W 2 -I "$CLIENT1" "$SERVER6" >/dev/null || fail "first client hurt" || return 1
	grep -q "inner pool exhausted" "$WORK/daemon.log" || fail "exhaustion not logged" || return 1
	stop_daemon
}

test_reaping_waits_for_conntrack() {
	fresh || return 1
	sed -i 's/idle-timeout = 300/idle-timeout = 2/' "$WORK/nat64.conf"
	start_daemon "$WORK/nat64.conf" || return 1
	in_c ping -6 -c 1 -W 2 -I "$CLIENT1" "$SERVER6" >/dev/null || fail "ping" || return 1
	local inner
	inner=$(in_g conntrack -L -p icmp 2>/dev/null | grep -o 'src=100\.64\.0\.[0-9]*' | head -1)
	[ -n "$inner" ] || fail "no conntrack entry for the inner address" || return 1
	# idle for longer than the timeout, but conntrack still holds the flow
	sleep 3.5
	counters | grep -q "bindings active 1 .* reaped 0 kept_by_conntrack [1-9]" ||
		fail "binding reaped (or not checked) while conntrack held its address" || return 1
	in_g conntrack -D -s "${inner#src=}" >/dev/null 2>&1
	wait_for 5 grep -q "reaped 1 idle bindings" "$WORK/daemon.log" ||
		fail "binding not reaped once conntrack let go" || return 1
	# the client comes back and gets its previous inner address
	in_c ping -6 -c 1 -W 2 -I "$CLIENT1" "$SERVER6" >/dev/null || fail "ping after reaping" || return 1
	in_g conntrack -L -p icmp 2>/dev/null | grep -q "$inner " || fail "client did not get $inner back" || return 1
	stop_daemon
}

test_hostile_flood_then_translates() {
	fresh || return 1
	start_daemon "$WORK/nat64.conf" || return 1
	local pid=$DAEMON_PID
	# an established UDP flow, so hostile IPv4 of that flow gets past nft
	in_s timeout 120 socat UDP4-RECVFROM:9003,fork SYSTEM:'cat' &
	wait_for 5 sh -c "ip netns exec $NS_S ss -lun | grep -q :9003" || fail "server not listening" || return 1
	echo hello | in_c timeout 5 socat -T 1 - UDP6:["$SERVER6"]:9003,sourceport=40000 >/dev/null
	local port
	port=$(in_g conntrack -L -p udp --orig-port-dst 9003 2>/dev/null | grep -o 'dport=[0-9]*' | tail -1)
	port=${port#dport=}
	[ -n "$port" ] || fail "no UDP flow in conntrack" || return 1
	in_c timeout 120 /usr/bin/python3 "$HERE/flood.py" v6 c0 "$SERVER6" "$CLIENT1" 20000 1 "$GW6" ||
		fail "IPv6 flood failed to send" || return 1
	in_s timeout 60 /usr/bin/python3 "$HERE/flood.py" v4 s0 "$UPLINK4" "$SERVER4" 5000 2 9003 "$port" "$UPLINK4" ||
		fail "IPv4 flood failed to send" || return 1
	kill -0 "$pid" || fail "the daemon died under the flood" || return 1
	# still translating, both ways
	in_c ping -6 -c 2 -i 0.2 -W 2 -I "$CLIENT1" "$SERVER6" >/dev/null || fail "ping after the flood" || return 1
	local out
	out=$(echo again | in_c timeout 5 socat -T 2 - UDP6:["$SERVER6"]:9003)
	[ "$out" = again ] || fail "UDP after the flood: '$out'" || return 1
	local drops
	drops=$(counters | grep -o ' drops [0-9]*' | tail -1 | grep -o '[0-9]*')
	[ "${drops:-0}" -ge 5000 ] || fail "only ${drops:-0} drops counted for 25000 hostile packets" || return 1
	stop_daemon
}

test_hop_limit_time_exceeded() {
	fresh || return 1
	start_daemon "$WORK/nat64.conf" || return 1
	local out
	# hop limit 2: the gateway's kernel leaves 1 for the translator
	out=$(in_c ping -6 -c 1 -W 2 -t 2 -I "$CLIENT1" "$SERVER6" 2>&1)
	echo "$out" | grep -qi "time exceeded" || fail "no time exceeded: $out" || return 1
	echo "$out" | grep -q "${PREFIX}6440:1" || fail "not from prefix||gateway-v4: $out" || return 1
	stop_daemon
}

test_denied_destinations_refused() {
	fresh 'deny-v4 = {"203.0.113.0/25"}' || return 1
	start_daemon "$WORK/nat64.conf" || return 1
	local out
	out=$(in_c ping -6 -c 1 -W 2 -I "$CLIENT1" "$SERVER6" 2>&1)
	echo "$out" | grep -qi "administratively prohibited" || fail "deny-v4 not refused: $out" || return 1
	# built-in: loopback and the inner pool itself
	out=$(in_c ping -6 -c 1 -W 2 -I "$CLIENT1" "${PREFIX}7f00:1" 2>&1)
	echo "$out" | grep -qi "administratively prohibited" || fail "127.0.0.1 not refused: $out" || return 1
	out=$(in_c ping -6 -c 1 -W 2 -I "$CLIENT1" "${PREFIX}6440:5" 2>&1)
	echo "$out" | grep -qi "administratively prohibited" || fail "inner pool not refused: $out" || return 1
	counters | grep -q "drop denied_dest 3" || fail "denied destinations not counted" || return 1
	stop_daemon
}

test_wkp_rules() {
	topo_down; topo_up || return 1
	# RFC 6052 §3.1: the WKP cannot embed a non-global gateway-v4
	write_conf "$WORK/wkp.conf"
	sed -i 's#^prefix = .*#prefix = "64:ff9b::/96"#' "$WORK/wkp.conf"
	local out
	out=$(in_g "$NAT64" -c "$WORK/wkp.conf" plumb 2>&1) && fail "WKP with private gateway-v4 accepted" && return 1
	echo "$out" | grep -q "gateway-v6" || fail "message does not name gateway-v6: $out" || return 1
	nothing_plumbed || return 1
	echo 'gateway-v6 = "2001:db8:1:ffff::64"' >> "$WORK/wkp.conf"
	in_g "$NAT64" -c "$WORK/wkp.conf" plumb >/dev/null 2>&1 || fail "plumb with gateway-v6 failed" || return 1
	in_g ip -6 route show proto 64 | grep -q "^2001:db8:1:ffff::64 dev nat64" || fail "gateway-v6 not routed" || return 1
	start_daemon "$WORK/wkp.conf" || return 1
	# the server is in a documentation range: never embedded in the WKP
	out=$(in_c ping -6 -c 1 -W 2 -I "$CLIENT1" 64:ff9b::cb00:7102 2>&1)
	echo "$out" | grep -qi "administratively prohibited" || fail "non-global destination not refused: $out" || return 1
	echo "$out" | grep -q "2001:db8:1:ffff::64" || fail "error not from gateway-v6: $out" || return 1
	counters | grep -q "drop non_global 1" || fail "not counted as non_global" || return 1
	stop_daemon
}

test_sigterm_stops_and_unplumb_cleans() {
	fresh || return 1
	start_daemon "$WORK/nat64.conf" || return 1
	in_c ping -6 -c 1 -W 2 -I "$CLIENT1" "$SERVER6" >/dev/null || fail "ping" || return 1
	stop_daemon || return 1
	in_g "$NAT64" -c "$WORK/nat64.conf" unplumb || fail "unplumb failed" || return 1
	nothing_plumbed || return 1
	in_g "$NAT64" -c "$WORK/nat64.conf" unplumb || fail "second unplumb failed" || return 1
	# the uplink and the rest of the namespace are untouched
	in_g ip addr show g4 | grep -q "$UPLINK4" || fail "uplink address gone"
}

# ---- runner --------------------------------------------------------------

ALL=$(declare -F | awk '$3 ~ /^test_/ {print $3}')
[ $# -gt 0 ] && ALL=$(printf 'test_%s\n' "$@")
for t in $ALL; do
	echo "--- ${t#test_}"
	# any fail() marks the test failed, whatever the function returns
	if ( set +e; $t && [ -z "$FAILED" ] ); then
		passed=$((passed + 1)); echo "    ok"
	else
		failed=$((failed + 1)); failed_names="$failed_names ${t#test_}"
		[ -f "$WORK/daemon.log" ] && sed 's/^/    daemon: /' "$WORK/daemon.log" | tail -20
	fi
	[ -n "$DAEMON_PID" ] && kill -9 "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	topo_down
	rm -f "$WORK/daemon.log"
done
echo "e2e: $passed passed, $failed failed"
[ "$failed" = 0 ] || { echo "e2e: failed:$failed_names"; exit 1; }
