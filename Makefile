# nat64 — build, test, install.  `make V=1` shows the commands.
PREFIX  ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR  ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= /lib/systemd/system
DESTDIR ?=

CC      ?= gcc
PKGS    := libmnl libnftnl libnl-route-3.0 libconfuse liburcu liburcu-cds liburing
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

WARN    := -Wall -Wextra -Wshadow -Wconversion -Wsign-conversion -Wformat=2 \
           -Wmissing-prototypes -Wstrict-prototypes -Wundef -Wvla
HARDEN  := -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
CFLAGS  ?= -O2 -g
override CFLAGS  += -std=gnu11 $(WARN) $(HARDEN) -MMD -MP -Isrc \
           -DNAT64_VERSION='"$(VERSION)"' $(shell pkg-config --cflags $(PKGS))
override LDFLAGS += -pie -Wl,-z,relro,-z,now
override LDLIBS  += $(shell pkg-config --libs $(PKGS)) -lpthread

ifeq ($(V),1)
Q :=
else
Q := @
endif

B := build

# Modules; each unit test links only the objects it names below.
SRCS := src/main.c src/config.c src/config_check.c src/config_print.c src/log.c src/supervisor.c \
        src/xlat/addr.c src/xlat/csum.c src/xlat/xlat.c src/xlat/hdr.c src/xlat/icmp.c src/xlat/frag.c src/xlat/reply.c \
        src/state/bindings.c src/io/tun.c src/io/vnet.c \
        src/plumb/plumb.c src/plumb/link.c src/plumb/route.c \
        src/plumb/nft.c src/plumb/nft_rules.c src/plumb/sysctl.c \
        src/plumb/conntrack.c \
        src/dataplane/worker.c src/dataplane/stats.c
OBJS := $(SRCS:%.c=$(B)/%.o)

UNIT_TESTS := addr csum xlat config bindings nft vnet gso
test_addr_OBJS     := src/xlat/addr.c
test_csum_OBJS     := src/xlat/csum.c
test_xlat_OBJS     := src/xlat/xlat.c src/xlat/hdr.c src/xlat/icmp.c src/xlat/frag.c src/xlat/reply.c src/xlat/addr.c src/xlat/csum.c
test_gso_OBJS      := src/xlat/xlat.c src/xlat/hdr.c src/xlat/icmp.c src/xlat/frag.c src/xlat/reply.c src/xlat/addr.c src/xlat/csum.c
test_config_OBJS   := src/config.c src/config_check.c src/config_print.c src/xlat/addr.c src/log.c
test_bindings_OBJS := src/state/bindings.c src/log.c
test_nft_OBJS      := src/plumb/nft.c src/plumb/nft_rules.c src/log.c
test_vnet_OBJS     := src/io/vnet.c src/xlat/csum.c

all: $(B)/nat64

$(B)/nat64: $(OBJS)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $<"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# ---- unit tests (cmocka) ----
define unit_test
$(B)/tests/test_$(1): $(B)/tests/unit/test_$(1).o $$(test_$(1)_OBJS:%.c=$(B)/%.o)
	@echo "  LD      $$@"
	$(Q)$(CC) $(LDFLAGS) -o $$@ $$^ $(LDLIBS) -lcmocka
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_test,$(t))))

UNIT_BINS := $(UNIT_TESTS:%=$(B)/tests/test_%)

unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; \
	  (cd tests/unit && ../../$$t); done

e2e: $(B)/nat64
	@tests/e2e/run.sh $(B)/nat64

# unit, end-to-end and conformance tests
test: unit e2e conformance

# everything: sanitizer builds and a short fuzz run first, then `test`
check:
	$(MAKE) unit-asan
	$(MAKE) fuzz-short
	$(MAKE) test

demo: $(B)/nat64
	@scripts/demo.sh $(B)/nat64

install: $(B)/nat64
	install -D -m 0755 $(B)/nat64 $(DESTDIR)$(SBINDIR)/nat64
	install -D -m 0644 examples/nat64.conf $(DESTDIR)$(SYSCONFDIR)/nat64/nat64.conf.example
	install -d $(DESTDIR)$(UNITDIR)
	sed 's#/usr/local/sbin/#$(SBINDIR)/#g' systemd/nat64.service > $(DESTDIR)$(UNITDIR)/nat64.service
	install -D -m 0644 docs/nat64.8 $(DESTDIR)$(MANDIR)/man8/nat64.8
	install -D -m 0644 docs/nat64.conf.5 $(DESTDIR)$(MANDIR)/man5/nat64.conf.5
	install -D -m 0644 scripts/rt_protos.nat64 $(DESTDIR)$(SYSCONFDIR)/iproute2/rt_protos.d/nat64.conf

clean:
	rm -rf $(B)

.PHONY: all unit e2e test check demo install clean
-include $(shell find $(B) -name '*.d' 2>/dev/null)

# Optional parts kept in their own files: sanitizer and fuzz builds, benchmarks.
include $(wildcard mk/*.mk)
