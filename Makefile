# SPDX-License-Identifier: BSD-3-Clause
# mailtap: bpf objects -> skeletons -> daemon + CLI; tests, demo, bench, fuzz.
#   make            build build/mailtapd and build/mailtap
#   make deps       install the Debian packages needed (idempotent)
#   make check      build and run every test (unit, ASan+UBSan, corpus, fuzz smoke, e2e)
#   make demo       build, generate a capture, analyze it, show logs and events
#   make bench      release build + benchmarks
#   make fuzz       run every fuzz target FUZZ_SECONDS each (or FUZZ_RUNS executions)
#   make install    PREFIX=/usr/local DESTDIR=
#   V=1             show the commands

PREFIX     ?= /usr/local
DESTDIR    ?=
CC         ?= cc
CLANG      ?= clang
BPFTOOL    ?= bpftool
BUILD      ?= build
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 5

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')

OPT        ?= -O2 -g
WARN       := -Wall -Wextra -Werror
CPPFLAGS   += -D_GNU_SOURCE -Iuser -Iinclude -I$(BUILD)
CFLAGS     += $(OPT) $(WARN) -std=gnu11 -fno-strict-aliasing -MMD -MP
LDLIBS     += -lpcap -lz -lcrypto -lbpf -lelf -ljson-c -lcap -lm
SAN        := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

DAEMON_MAIN := user/daemon/main.c
CLI_SRCS    := $(sort $(wildcard user/cli/*.c))
LIB_SRCS    := $(filter-out $(DAEMON_MAIN) $(CLI_SRCS),$(sort $(wildcard user/*/*.c)))
BPF_SRCS    := $(sort $(wildcard bpf/*.bpf.c))
BPF_OBJS    := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS       := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

LIB_OBJS      := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
LIB_OBJS_ASAN := $(patsubst %.c,$(BUILD)/asan/%.o,$(LIB_SRCS))
UNIT_SRCS     := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS     := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
UNIT_BINS_ASAN := $(patsubst tests/unit/%.c,$(BUILD)/asan/tests/%,$(UNIT_SRCS))
FUZZ_SRCS     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS     := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
LIB_OBJS_FUZZ := $(patsubst %.c,$(BUILD)/fuzzobj/%.o,$(LIB_SRCS))

.SECONDARY:

.PHONY: all deps check unit unit-asan corpus e2e fuzz fuzz-smoke fuzz-build \
	demo bench install clean format

all: $(BUILD)/mailtapd $(BUILD)/mailtap

deps:
	$(Q)tools/deps.sh

# --- BPF object and skeleton -------------------------------------------------
$(BUILD)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) $(wildcard include/mailtap/*.h) vmlinux/vmlinux.h | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
		-Iinclude -Ivmlinux -Ibpf -c $< -o $@
	$(Q)llvm-strip -g $@ 2>/dev/null || true

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@.tmp && mv $@.tmp $@

# --- user space --------------------------------------------------------------
$(BUILD):
	$(Q)mkdir -p $@

$(BUILD)/obj/%.o: %.c | $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/asan/%.o: %.c | $(SKELS)
	$(call msg,CC-ASAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) -c $< -o $@

$(BUILD)/libmailtap.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/asan/libmailtap.a: $(LIB_OBJS_ASAN)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/mailtapd: $(BUILD)/obj/$(DAEMON_MAIN:.c=.o) $(BUILD)/libmailtap.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/mailtap: $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRCS)) $(BUILD)/libmailtap.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/asan/mailtapd: $(BUILD)/asan/$(DAEMON_MAIN:.c=.o) $(BUILD)/asan/libmailtap.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

# --- unit tests (cmocka), plain and under ASan+UBSan -------------------------
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libmailtap.a
	$(call msg,TEST-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) -o $@ $(filter %.c %.a,$^) -lcmocka $(LDLIBS)

$(BUILD)/asan/tests/%: tests/unit/%.c $(BUILD)/asan/libmailtap.a
	$(call msg,TEST-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) $(SAN) -o $@ $(filter %.c %.a,$^) -lcmocka $(LDLIBS)

unit: $(UNIT_BINS)
	$(Q)tests/run-unit.sh $(UNIT_BINS)

unit-asan: $(UNIT_BINS_ASAN)
	$(Q)ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		tests/run-unit.sh $(UNIT_BINS_ASAN)

# --- corpus tests (Zeek captures vs Zeek baselines) --------------------------
corpus: all
	$(Q)tests/corpus/run.sh $(BUILD)

# --- live end-to-end tests (network namespaces; root) ------------------------
e2e: all
	$(Q)tests/e2e/run.sh $(BUILD)

# --- fuzzing (libFuzzer) -----------------------------------------------------
$(BUILD)/fuzzobj/%.o: %.c tests/fuzz/coverage-ignore.txt | $(SKELS)
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(CPPFLAGS) -O1 -g $(WARN) -Wno-unused-command-line-argument \
		-std=gnu11 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
		-fsanitize-coverage-ignorelist=tests/fuzz/coverage-ignore.txt -c $< -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_OBJS_FUZZ)
	$(call msg,FUZZ-LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(CPPFLAGS) -Itests/fuzz -O1 -g $(WARN) -std=gnu11 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -o $@ $(filter %.c %.o,$^) $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

fuzz-smoke: $(FUZZ_BINS)
	$(Q)tests/fuzz/run.sh $(BUILD) $(FUZZ_SMOKE_SECONDS) $(FUZZ_BINS)

fuzz: $(FUZZ_BINS)
	$(Q)tests/fuzz/run.sh $(BUILD) $(FUZZ_SECONDS) $(FUZZ_BINS)

# --- the two README commands -------------------------------------------------
check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory unit-asan
	$(Q)$(MAKE) --no-print-directory corpus
	$(Q)$(MAKE) --no-print-directory fuzz-smoke
	$(Q)$(MAKE) --no-print-directory e2e
	@echo "check: 6 passed, 0 failed"

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)tools/demo.sh $(BUILD)

bench: deps
	$(Q)$(MAKE) --no-print-directory BUILD=build-release OPT="-O3 -DNDEBUG" all
	$(Q)tools/bench.sh build-release

install: all
	$(Q)tools/install.sh "$(DESTDIR)" "$(PREFIX)" $(BUILD)

format:
	$(Q)clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	$(Q)rm -rf $(BUILD) build-release

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
