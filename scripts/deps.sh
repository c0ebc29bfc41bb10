#!/bin/sh
# Installs the Debian 12 packages nat64 needs to build, test, run the demo and
# the benchmarks.  Idempotent; needs root.  Package names only, no downloads.
set -eu

BUILD="build-essential pkg-config git libmnl-dev libnftnl-dev libnl-3-dev \
libnl-route-3-dev libconfuse-dev liburcu-dev liburing-dev"
TEST="libcmocka-dev nftables iproute2 procps iputils-ping socat curl \
python3 python3-scapy conntrack clang libclang-rt-14-dev"
BENCH="iperf3 tayga linux-perf ethtool"

want="$BUILD $TEST"
case "${1:-}" in
--bench) want="$want $BENCH" ;;
esac

missing=""
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: need root to install:$missing" >&2
	exit 1
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
