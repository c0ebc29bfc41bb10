# Unit tests under AddressSanitizer + UndefinedBehaviorSanitizer.
#
#   make unit-asan          build every test of $(UNIT_TESTS) into $(SAN_B) and run it
#
# The same objects and link lines as `make unit`, only built into their own
# directory with the sanitizer flags: the top Makefile appends its own flags
# with `override CFLAGS +=`, so a recursive make with CFLAGS/LDFLAGS set on
# its command line gets both.  Tests added to UNIT_TESTS later are picked up
# without touching this file.  Any report fails the run: ASan exits non-zero
# on its first error, UBSan aborts (-fno-sanitize-recover=all), LeakSanitizer
# exits non-zero at process exit.

SAN_B     ?= $(B)/asan
SAN_FLAGS ?= -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=all
# halt_on_error is the default for ASan; said anyway, next to UBSan's.
SAN_ENV   := ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1 \
             UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
             LSAN_OPTIONS=print_suppressions=0

unit-asan:
	@echo "  UNIT    ASan+UBSan in $(SAN_B)"
	$(Q)$(SAN_ENV) $(MAKE) --no-print-directory B=$(SAN_B) \
	  CFLAGS='$(SAN_FLAGS)' LDFLAGS='$(SAN_FLAGS)' unit

.PHONY: unit-asan
