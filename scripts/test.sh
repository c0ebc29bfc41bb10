#!/bin/sh
# Installs what the tests need (Debian 12, as root), builds, and runs every
# test: unit tests (cmocka) also under ASan/UBSan, a short libFuzzer run of
# each harness, end-to-end tests and the conformance suite in network
# namespaces the tests create and remove.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
make -j"$(nproc)"
make check
