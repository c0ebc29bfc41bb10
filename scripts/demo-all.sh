#!/bin/sh
# One command for the demo on a fresh Debian 12 (as root): install, build, run.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
make -j"$(nproc)"
scripts/demo.sh build/nat64
