# Benchmarks: `make bench` (needs root: network namespaces) runs the
# micro-benchmarks and then scripts/bench.sh (kernel / nat64 / TAYGA side by
# side); `make bench-micro` runs only the micro-benchmarks.  See
# docs/performance.md.

BENCH_MICRO := xlat bindings
# The translator is whatever src/xlat/ holds (files are added over time).
bench_xlat_OBJS     := $(wildcard src/xlat/*.c)
bench_bindings_OBJS := src/state/bindings.c src/log.c

define bench_micro
$(B)/bench/bench_$(1): $(B)/tests/bench/bench_$(1).o $$(bench_$(1)_OBJS:%.c=$(B)/%.o)
	@mkdir -p $$(@D)
	@echo "  LD      $$@"
	$(Q)$(CC) $(LDFLAGS) -o $$@ $$^ $(LDLIBS)
endef
$(foreach t,$(BENCH_MICRO),$(eval $(call bench_micro,$(t))))

BENCH_MICRO_BINS := $(BENCH_MICRO:%=$(B)/bench/bench_%)

$(B)/bench/udpflood: $(B)/tests/bench/udpflood.o
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

bench-micro: $(BENCH_MICRO_BINS)
	@set -e; mkdir -p $(B)/bench; : > $(B)/bench/micro.txt; \
	for t in $(BENCH_MICRO_BINS); do echo "== $$t"; \
	  $$t | tee -a $(B)/bench/micro.txt; done

# A nat64 that does not build (or crashes) must not stop the benchmark: its
# column then reads "failed" and the kernel and TAYGA columns still come out.
bench: $(B)/bench/udpflood
	@$(MAKE) --no-print-directory bench-micro || echo "bench: micro-benchmarks failed"
	@$(MAKE) --no-print-directory $(B)/nat64 || echo "bench: $(B)/nat64 did not build"
	@scripts/bench.sh $(B)/nat64

.PHONY: bench bench-micro
