# Packet-level RFC 7915 / RFC 6052 conformance suite (tests/conformance/):
# crafted packets through the real daemon in three network namespaces, every
# translated field checked on the far side.  Needs root and Debian's
# python3-scapy (run with /usr/bin/python3, not a pyenv shim).
#
#   make conformance                     build build/nat64, run every case
#   make conformance CONFORMANCE_ARGS='-v -k 4to6_frag'   more detail, a subset
#
# See docs/conformance.md.

CONFORMANCE_PY   ?= /usr/bin/python3
CONFORMANCE_ARGS ?=

conformance: $(B)/nat64
	@$(CONFORMANCE_PY) tests/conformance/run.py $(CONFORMANCE_ARGS) $(B)/nat64

.PHONY: conformance
