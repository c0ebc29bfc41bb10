#!/bin/sh
# Installs what the tests need (Debian 12, as root), builds, and runs every
# test: unit tests (cmocka) and end-to-end tests in network namespaces.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
make -j"$(nproc)"
make unit
make e2e
