# Shared by the end-to-end tests, the demo and the benchmark: a three-namespace
# topology, all of it created here and removed by topo_down.
#
#   client ns                 gateway ns                      server ns
#   c0 2001:db8:1::10/64 ---- g6 2001:db8:1::1/64
#      2001:db8:1::11             TUN nat64 (prefix, inner pool)
#      2001:db8:1::200        g4 203.0.113.1/24 ------------- s0 203.0.113.2/24
#
# The server's IPv4 address as the client sees it: PREFIX || 203.0.113.2.
# Nothing here touches the default namespace.

: "${TAG:=$$}"
NS_C="nat64-c-$TAG"
NS_G="nat64-g-$TAG"
NS_S="nat64-s-$TAG"
CLIENT1=2001:db8:1::10
CLIENT2=2001:db8:1::11
CLIENT_OUT=2001:db8:1::200
GW6=2001:db8:1::1
UPLINK4=203.0.113.1
SERVER4=203.0.113.2
PREFIX=2001:db8:64::
SERVER6=${PREFIX}cb00:7102	# PREFIX || 203.0.113.2
POOL=100.64.0.0/24
GATEWAY4=100.64.0.1

in_c() { ip netns exec "$NS_C" "$@"; }
in_g() { ip netns exec "$NS_G" "$@"; }
in_s() { ip netns exec "$NS_S" "$@"; }

topo_up() {
	ip netns add "$NS_C" && ip netns add "$NS_G" && ip netns add "$NS_S" || return 1
	ip link add c0 netns "$NS_C" type veth peer name g6 netns "$NS_G" || return 1
	ip link add s0 netns "$NS_S" type veth peer name g4 netns "$NS_G" || return 1
	in_c ip link set lo up
	in_g ip link set lo up
	in_s ip link set lo up
	# nodad: addresses are usable at once, no waiting for DAD
	in_c ip addr add "$CLIENT1/64" dev c0 nodad
	in_c ip addr add "$CLIENT2/64" dev c0 nodad
	in_c ip addr add "$CLIENT_OUT/64" dev c0 nodad
	in_c ip link set c0 up
	in_c ip -6 route add default via "$GW6" dev c0
	in_g ip addr add "$GW6/64" dev g6 nodad
	in_g ip link set g6 up
	in_g ip addr add "$UPLINK4/24" dev g4
	in_g ip link set g4 up
	in_s ip addr add "$SERVER4/24" dev s0
	in_s ip link set s0 up
	# The server knows no route to the inner pool: only the uplink address
	# can reach it, so a reply arriving at all proves the masquerade.

	# Settle before any test traffic: link-local addresses out of DAD and
	# neighbours resolved, so a lone first UDP datagram is not lost.
	local ns
	for ns in "$NS_C" "$NS_G"; do
		wait_for 5 sh -c "[ -z \"\$(ip netns exec $ns ip -6 addr show tentative)\" ]" || return 1
	done
	wait_for 5 ip netns exec "$NS_C" ping -6 -c 1 -W 1 "$GW6" || return 1
	wait_for 5 ip netns exec "$NS_G" ping -c 1 -W 1 "$SERVER4" || return 1
}

topo_down() {
	local ns
	for ns in "$NS_C" "$NS_G" "$NS_S"; do
		# processes started in a namespace die with their test, but be sure
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

# write_conf FILE [extra lines...]: a kernel-mode config for this topology
write_conf() {
	local f=$1; shift
	{
		echo "prefix = \"${PREFIX}/96\""
		echo "gateway-v4 = \"$GATEWAY4\""
		echo "tun { name = \"nat64\" queues = 2 mtu = 1500 }"
		echo "kernel { inner-pool = \"$POOL\" uplink = \"g4\" idle-timeout = 300 }"
		for l in "$@"; do echo "$l"; done
	} > "$f"
}

# wait_for SECONDS CMD...: retry CMD every 0.1 s until it succeeds or time runs out
wait_for() {
	local deadline=$(( $(date +%s%3N) + $1 * 1000 )); shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s%3N)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}
