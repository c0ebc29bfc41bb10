#!/bin/bash
# The gateway demo: an IPv6-only client fetches a web page from an IPv4-only
# server through the real nat64 daemon.  Everything happens in three network
# namespaces created here and removed at the end.
#
# usage: scripts/demo.sh [path/to/nat64]
set -eu
NAT64=$(realpath "${1:-build/nat64}")
TOP=$(cd "$(dirname "$0")/.." && pwd)
TAG=demo$$
. "$TOP/tests/e2e/lib.sh"

WORK=$(mktemp -d /tmp/nat64-demo.XXXXXX)
cleanup() {
	in_g "$NAT64" -c "$WORK/nat64.conf" unplumb >/dev/null 2>&1 || true
	topo_down
	rm -rf "$WORK"
}
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "three namespaces: client (IPv6 only) -- gateway (nat64) -- server (IPv4 only)"
topo_up
echo "client: $CLIENT1   gateway: $GW6 | $UPLINK4   server: $SERVER4"

say "gateway: the config"
write_conf "$WORK/nat64.conf"
cat "$WORK/nat64.conf"

say "gateway: nat64 check"
in_g "$NAT64" -c "$WORK/nat64.conf" check

say "gateway: nat64 plumb"
in_g "$NAT64" -c "$WORK/nat64.conf" plumb
in_g ip -d link show nat64 | head -3
echo "\$ ip route show proto 64; ip -6 route show proto 64"
in_g ip route show proto 64
in_g ip -6 route show proto 64

say "gateway: nat64 run (in the background)"
ip netns exec "$NS_G" "$NAT64" -c "$WORK/nat64.conf" run > "$WORK/daemon.log" 2>&1 &
DAEMON=$!
wait_for 5 grep -q "running on" "$WORK/daemon.log"
cat "$WORK/daemon.log"

say "server: an IPv4-only web server on $SERVER4:8080"
mkdir -p "$WORK/www"
echo "<h1>Hello from the IPv4-only server $SERVER4</h1>" > "$WORK/www/index.html"
in_s timeout 60 /usr/bin/python3 -m http.server 8080 --bind "$SERVER4" \
	--directory "$WORK/www" > "$WORK/http.log" 2>&1 &
wait_for 5 sh -c "ip netns exec $NS_S ss -ltn | grep -q :8080"

say "client: ping -6 $SERVER6  (= prefix || $SERVER4)"
in_c ping -6 -c 3 -i 0.2 -W 2 "$SERVER6"

say "client: curl http://[$SERVER6]:8080/"
in_c curl -sS --max-time 10 "http://[$SERVER6]:8080/"

say "server: who did the server see?  (the gateway's uplink address)"
cat "$WORK/http.log"

say "gateway: nft list ruleset"
in_g nft list ruleset

say "gateway: conntrack -L  (inner address -> uplink, kernel does the NAPT)"
in_g conntrack -L 2>/dev/null || true

say "gateway: stop (SIGTERM) and nat64 unplumb"
kill -USR1 "$DAEMON"; sleep 0.3
kill -TERM "$DAEMON"; wait "$DAEMON" || true
cat "$WORK/daemon.log" | tail -n +2
in_g "$NAT64" -c "$WORK/nat64.conf" unplumb
echo "after unplumb: link: $(in_g ip link show nat64 2>&1 | head -1)"
echo "after unplumb: tables: $(in_g nft list tables)"
say "demo done"
