# libFuzzer harnesses (tests/fuzz/), built with clang into $(FUZZ_B).
#
#   make fuzz-build        build every harness
#   make fuzz              run each harness for FUZZ_SECONDS (default 60)
#   make fuzz-short        the same with FUZZ_SECONDS=20 (what CI runs)
#   make fuzz-regress      run each harness once over its seeds and tests/fuzz/crashes/<name>/
#   make fuzz-seeds        regenerate the committed packet seeds (needs scapy)
#
# A harness fuzzes a working corpus in $(FUZZ_B)/corpus/<name>/ that starts
# as a copy of its seeds and keeps what runs add; the committed corpus is
# never written.  Crashes, leaks, timeouts (-timeout) and running out of
# memory (-rss_limit_mb) fail the target and leave the input in
# $(FUZZ_B)/artifacts/; the libFuzzer log is $(FUZZ_B)/logs/<name>.log.
# See docs/fuzzing.md.

FUZZ_B       ?= $(B)/fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  := -O1 -g -fno-omit-frame-pointer -std=gnu11 $(WARN) -MMD -MP -Isrc -Itests/fuzz \
                $(FUZZ_SAN) -fsanitize=fuzzer-no-link $(shell pkg-config --cflags $(PKGS))
FUZZ_LDFLAGS := $(FUZZ_SAN) -fsanitize=fuzzer
# Options every run gets; FUZZ_ARGS adds more (e.g. FUZZ_ARGS=-max_len=9000).
FUZZ_OPTS    := -timeout=5 -rss_limit_mb=2048 -print_final_stats=1
FUZZ_ARGS    ?=
FUZZ_ENV     := UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# Harnesses: fuzz_<name> links tests/fuzz/fuzz_<name>.c with fuzz_<name>_SRCS.
# The translation sources are a wildcard so that new files in src/xlat/ are
# linked without touching this file.
FUZZERS           := 6to4 4to6 config
FUZZ_XLAT_SRCS     = $(sort $(wildcard src/xlat/*.c)) tests/fuzz/xlat_common.c
fuzz_6to4_SRCS     = tests/fuzz/fuzz_6to4.c $(FUZZ_XLAT_SRCS)
fuzz_4to6_SRCS     = tests/fuzz/fuzz_4to6.c $(FUZZ_XLAT_SRCS)
# The config module is whatever its unit test links (src/config*.c and
# what they need), so a split of the module needs no change here.
fuzz_config_SRCS   = tests/fuzz/fuzz_config.c $(test_config_OBJS)
fuzz_config_LIBS   = $(LDLIBS)
fuzz_6to4_SEEDS    = tests/fuzz/corpus/6to4
fuzz_4to6_SEEDS    = tests/fuzz/corpus/4to6
fuzz_config_SEEDS  = tests/fuzz/corpus/config $(wildcard examples/*.conf) \
                     $(wildcard tests/unit/config/*.conf)
fuzz_6to4_DICT     = tests/fuzz/xlat.dict
fuzz_4to6_DICT     = tests/fuzz/xlat.dict
fuzz_config_DICT   = tests/fuzz/config.dict

FUZZ_BINS := $(FUZZERS:%=$(FUZZ_B)/fuzz_%)

$(FUZZ_B)/obj/%.o: %.c
	@mkdir -p $(@D)
	@echo "  FUZZCC  $<"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

define fuzz_harness
$(FUZZ_B)/fuzz_$(1): $$(patsubst %.c,$(FUZZ_B)/obj/%.o,$$(fuzz_$(1)_SRCS))
	@echo "  FUZZLD  $$@"
	$(Q)$(FUZZ_CC) $(FUZZ_LDFLAGS) -o $$@ $$^ $$(fuzz_$(1)_LIBS)
endef
$(foreach f,$(FUZZERS),$(eval $(call fuzz_harness,$(f))))

fuzz-build: $(FUZZ_BINS)

# Seeds (files or directories) into the working corpus; files already
# there are kept.
fuzz_copy_seeds = mkdir -p $(FUZZ_B)/corpus/$(1) $(FUZZ_B)/artifacts $(FUZZ_B)/logs; \
	for s in $(fuzz_$(1)_SEEDS); do \
	  if [ -d "$$$$s" ]; then cp -R "$$$$s"/. $(FUZZ_B)/corpus/$(1)/; \
	  elif [ -f "$$$$s" ]; then cp "$$$$s" $(FUZZ_B)/corpus/$(1)/; fi; \
	done

# fuzz-run-<name>: one harness for FUZZ_SECONDS; the log goes to a file, its
# tail to the terminal on failure, the final stats either way.
# fuzz-regress-<name>: every seed and saved crash once, no fuzzing.
define fuzz_targets
fuzz-run-$(1): $(FUZZ_B)/fuzz_$(1)
	@set -e; $(call fuzz_copy_seeds,$(1)); \
	log=$(FUZZ_B)/logs/$(1).log; \
	echo "  FUZZ    $(1) for $$(FUZZ_SECONDS)s (log: $$$$log)"; \
	if ! $(FUZZ_ENV) $(FUZZ_B)/fuzz_$(1) -max_total_time=$$(FUZZ_SECONDS) $(FUZZ_OPTS) \
	     -dict=$(fuzz_$(1)_DICT) -artifact_prefix=$(FUZZ_B)/artifacts/$(1)- $$(FUZZ_ARGS) \
	     $(FUZZ_B)/corpus/$(1) >$$$$log 2>&1; then \
	  tail -n 80 $$$$log; \
	  echo "FAIL: fuzz_$(1); input saved in $(FUZZ_B)/artifacts/, reproduce: $(FUZZ_B)/fuzz_$(1) FILE"; \
	  exit 1; \
	fi; \
	grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' \
	  $$$$log | sed 's/^/          /'

fuzz-regress-$(1): $(FUZZ_B)/fuzz_$(1)
	@set -e; mkdir -p $(FUZZ_B)/logs; log=$(FUZZ_B)/logs/$(1)-regress.log; \
	files=$$$$(find $(fuzz_$(1)_SEEDS) tests/fuzz/crashes/$(1) -type f 2>/dev/null | sort || true); \
	echo "  FUZZREG $(1) ($$$$(echo "$$$$files" | wc -l) inputs)"; \
	$(FUZZ_ENV) $(FUZZ_B)/fuzz_$(1) -runs=1 $$$$files >$$$$log 2>&1 || \
	  { tail -n 60 $$$$log; echo "FAIL: fuzz_$(1) (log: $$$$log)"; exit 1; }
endef
$(foreach f,$(FUZZERS),$(eval $(call fuzz_targets,$(f))))

fuzz: $(FUZZERS:%=fuzz-run-%)

fuzz-short:
	$(Q)$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=20

fuzz-regress: $(FUZZERS:%=fuzz-regress-%)

fuzz-seeds:
	/usr/bin/python3 scripts/fuzz-seeds.py tests/fuzz/corpus

.PHONY: fuzz fuzz-build fuzz-short fuzz-regress fuzz-seeds \
        $(FUZZERS:%=fuzz-run-%) $(FUZZERS:%=fuzz-regress-%)
