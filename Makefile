# socktrace build. `make` builds .output/socktrace; `make test`, `make demo`;
# V=1 shows the full commands. Everything built goes to .output/.
OUTPUT := .output
CLANG ?= clang
CC ?= gcc
BPFTOOL ?= bpftool
LLVM_STRIP ?= llvm-strip
PREFIX ?= /usr/local
# Where `make install` puts things, each under $(DESTDIR).
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/socktrace
BASH_COMPLETION_DIR ?= $(PREFIX)/share/bash-completion/completions
SYSTEMD_UNIT_DIR ?= $(PREFIX)/lib/systemd/system

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VMLINUX := vmlinux/$(ARCH)/vmlinux.h
ifeq ($(wildcard $(VMLINUX)),)
$(error no $(VMLINUX) for architecture '$(ARCH)': generate it with vmlinux/gen.sh on such a machine)
endif

# libbpf from Debian's libbpf-dev, linked statically: the binary needs only libelf and zlib.
LIBBPF_A := $(firstword $(wildcard /usr/lib/*/libbpf.a /usr/lib/libbpf.a))
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wundef
CFLAGS ?= -g -O2
ALL_CFLAGS := $(CFLAGS) $(WARN) -std=gnu11 -I$(OUTPUT) -Ibpf -Iuser -MMD -MP
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Ivmlinux/$(ARCH) -Ibpf -MMD -MP
# libmicrohttpd serves the Prometheus exporter: not linked but opened by its soname when an
# exporter starts (user/exporter.c). Expanded when used: install-deps runs first.
MHD_LIBDIR = $(shell pkg-config --variable=libdir libmicrohttpd 2>/dev/null)
MHD_SONAME = $(shell readelf -d $(MHD_LIBDIR)/libmicrohttpd.so 2>/dev/null | \
		       sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
MHD_CFLAGS = $(shell pkg-config --cflags libmicrohttpd 2>/dev/null) \
	     $(if $(MHD_SONAME),-DMHD_SONAME='"$(MHD_SONAME)"')
LDLIBS = -l:libbpf.a -lelf -lz -lm -lpthread

# User-space modules that need no skeleton and no root: unit tests link these.
CORE_SRCS := agg backend cli csv events evprint filter format hist histview json jsonstats kindhot \
	     listeners log metrics ports portsum seen services sockinfo table
CORE_OBJS := $(patsubst %,$(OUTPUT)/%.o,$(CORE_SRCS))
APP_OBJS := $(OUTPUT)/main.o $(OUTPUT)/tracer.o $(OUTPUT)/hooks.o $(OUTPUT)/check.o \
	    $(OUTPUT)/portsview.o $(OUTPUT)/iter.o $(OUTPUT)/snapshot.o $(OUTPUT)/exporter.o \
	    $(CORE_OBJS)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(wildcard tests/unit/test_*.c))
# The benchmark suite's binaries (bench/run); `make test` runs a smoke run of it.
BENCH_BINS := $(OUTPUT)/bench/loadgen $(OUTPUT)/bench/aggbench $(OUTPUT)/bench/floor

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.PHONY: all deps test test-unit test-integration test-vm test-asan test-fuzz test-bench fuzz \
	demo bench soak install uninstall clean format

all: $(OUTPUT)/socktrace

# Missing build tools come from Debian's packages (scripts/install-deps is idempotent).
$(OUTPUT)/deps-build.stamp: scripts/install-deps | $(OUTPUT)
	$(call msg,DEPS,build)
	$(Q)scripts/install-deps build
	$(Q)touch $@

$(OUTPUT) $(OUTPUT)/tests:
	$(Q)mkdir -p $@

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(VMLINUX) | $(OUTPUT)/deps-build.stamp
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@ # drop DWARF, keep BTF

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# tracer.c includes the tracing skeleton, snapshot.c the one of `socktrace ports`.
$(OUTPUT)/tracer.o: $(OUTPUT)/socktrace.skel.h
$(OUTPUT)/snapshot.o: $(OUTPUT)/snapshot.skel.h
$(OUTPUT)/exporter.o: ALL_CFLAGS += $(MHD_CFLAGS)

$(OUTPUT)/%.o: user/%.c | $(OUTPUT)/deps-build.stamp
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(OUTPUT)/socktrace: $(APP_OBJS)
	$(call msg,BINARY,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# Unit tests: cmocka, no root, linked against the core modules only.
$(OUTPUT)/tests/%: tests/unit/%.c $(CORE_OBJS) | $(OUTPUT)/tests $(OUTPUT)/deps-test.stamp
	$(call msg,TEST-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Wno-missing-prototypes $< $(CORE_OBJS) -lcmocka -lm -o $@

$(OUTPUT)/deps-test.stamp: scripts/install-deps | $(OUTPUT)
	$(call msg,DEPS,test)
	$(Q)scripts/install-deps test
	$(Q)touch $@

test-unit: $(UNIT_TESTS)
	$(Q)tests/run-unit $(UNIT_TESTS)

test-integration: $(OUTPUT)/socktrace $(OUTPUT)/deps-test.stamp
	$(Q)tests/integration/run $(OUTPUT)/socktrace

# The integration suite once per backend on Debian's stock kernel, under qemu, within
# tests/vm/run's default time limit (2700 s); `make test` runs it through tests/run-all.
test-vm: $(OUTPUT)/socktrace $(OUTPUT)/deps-test.stamp
	$(Q)tests/vm/run -- tests/vm/suite $(OUTPUT)/socktrace

# The same user space again under ASan+UBSan (and LeakSanitizer), in $(ASAN_OUT): the unit
# tests and the binary for a second integration run. libbpf.a and the BPF programs are not
# instrumented. -fno-sanitize-recover: undefined behaviour stops the program, as a leak or a
# bad access does, so that every finding fails its test. Built by clang: its one runtime
# for both sanitizers honours log_path for UBSan reports too (gcc's separate libubsan
# writes them to stderr whatever UBSAN_OPTIONS say); tests/integration/run reads them there.
ASAN_OUT := $(OUTPUT)/asan
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
ASAN_BIN := $(ASAN_OUT)/socktrace
ASAN_CORE_OBJS := $(patsubst $(OUTPUT)/%,$(ASAN_OUT)/%,$(CORE_OBJS))
ASAN_UNIT_TESTS := $(patsubst $(OUTPUT)/tests/%,$(ASAN_OUT)/tests/%,$(UNIT_TESTS))

$(ASAN_OUT) $(ASAN_OUT)/tests:
	$(Q)mkdir -p $@

$(ASAN_OUT)/tracer.o: $(OUTPUT)/socktrace.skel.h
$(ASAN_OUT)/snapshot.o: $(OUTPUT)/snapshot.skel.h
$(ASAN_OUT)/exporter.o: ALL_CFLAGS += $(MHD_CFLAGS)

$(ASAN_OUT)/%.o: user/%.c | $(ASAN_OUT) $(OUTPUT)/deps-build.stamp
	$(call msg,ASAN-CC,$@)
	$(Q)$(CLANG) $(ALL_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(ASAN_BIN): $(patsubst $(OUTPUT)/%,$(ASAN_OUT)/%,$(APP_OBJS))
	$(call msg,BINARY,$@)
	$(Q)$(CLANG) $(CFLAGS) $(SAN_FLAGS) $^ $(LDLIBS) -o $@

$(ASAN_OUT)/tests/%: tests/unit/%.c $(ASAN_CORE_OBJS) | $(ASAN_OUT)/tests $(OUTPUT)/deps-test.stamp
	$(call msg,ASAN-CC,$@)
	$(Q)$(CLANG) $(ALL_CFLAGS) $(SAN_FLAGS) -Wno-missing-prototypes $< $(ASAN_CORE_OBJS) \
		-lcmocka -lm -o $@

test-asan: $(ASAN_BIN) $(ASAN_UNIT_TESTS) $(OUTPUT)/deps-test.stamp
	$(Q)tests/run-asan $(ASAN_BIN) $(ASAN_UNIT_TESTS)

# libFuzzer targets (tests/fuzz): the core modules again, built by clang with the fuzzer's
# coverage and ASan+UBSan, in $(FUZZ_OUT). `make test` runs each briefly from the committed
# corpus; `make fuzz` runs each FUZZ_SECONDS, growing a corpus in $(FUZZ_OUT)/corpus.
FUZZ_OUT := $(OUTPUT)/fuzz
FUZZ_SECONDS ?= 300
FUZZ_TEST_SECONDS ?= 15
FUZZ_CFLAGS := -g -O1 $(WARN) -std=gnu11 -Ibpf -Iuser -MMD -MP $(SAN_FLAGS)
FUZZ_CORE_OBJS := $(patsubst $(OUTPUT)/%,$(FUZZ_OUT)/%,$(CORE_OBJS))
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(FUZZ_OUT)/%,$(wildcard tests/fuzz/fuzz_*.c))

$(FUZZ_OUT):
	$(Q)mkdir -p $@

$(FUZZ_OUT)/%.o: user/%.c | $(FUZZ_OUT) $(OUTPUT)/deps-test.stamp
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_CORE_OBJS) | $(FUZZ_OUT)
	$(call msg,FUZZ-CC,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_CORE_OBJS) -lm -o $@

test-fuzz: $(FUZZ_TARGETS)
	$(Q)tests/fuzz/run -t $(FUZZ_TEST_SECONDS) $(FUZZ_TARGETS)

fuzz: $(FUZZ_TARGETS)
	$(Q)tests/fuzz/run -t $(FUZZ_SECONDS) -c $(FUZZ_OUT)/corpus $(FUZZ_TARGETS)

# Everything, with each runner's summary and one total; non-zero on any failure.
test: $(OUTPUT)/socktrace $(UNIT_TESTS) $(ASAN_BIN) $(ASAN_UNIT_TESTS) $(FUZZ_TARGETS) \
      $(BENCH_BINS) $(OUTPUT)/deps-test.stamp $(OUTPUT)/deps-bench.stamp
	$(Q)FUZZ_SECONDS=$(FUZZ_TEST_SECONDS) tests/run-all $(OUTPUT)/socktrace $(UNIT_TESTS) \
		--asan $(ASAN_BIN) $(ASAN_UNIT_TESTS) --fuzz $(FUZZ_TARGETS)

demo: $(OUTPUT)/socktrace $(OUTPUT)/deps-test.stamp
	$(Q)scripts/demo $(OUTPUT)/socktrace

# Benchmarks (bench/run; BENCH_ARGS="--smoke" for a short run). Timings are reported,
# never asserted.

$(OUTPUT)/bench:
	$(Q)mkdir -p $@

$(OUTPUT)/bench/loadgen: bench/loadgen.c user/clock.h | $(OUTPUT)/bench $(OUTPUT)/deps-build.stamp
	$(call msg,BENCH-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -pthread $< -o $@

# aggbench times the real decoding and aggregation: it links the core modules.
$(OUTPUT)/bench/aggbench: bench/aggbench.c $(CORE_OBJS) | $(OUTPUT)/bench
	$(call msg,BENCH-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $< $(CORE_OBJS) -lm -o $@

# floor: BPF programs on socktrace's tracepoints that do nothing, count, or send records:
# the cost of any tracer there, and the steps up to socktrace's (bench/floor.bpf.c).
$(OUTPUT)/bench/floor.bpf.o: bench/floor.bpf.c $(VMLINUX) | $(OUTPUT)/bench $(OUTPUT)/deps-build.stamp
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(OUTPUT)/bench/floor: bench/floor.c $(OUTPUT)/bench/floor.skel.h
	$(call msg,BENCH-CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -I$(OUTPUT)/bench $< $(LDLIBS) -o $@

$(OUTPUT)/deps-bench.stamp: scripts/install-deps | $(OUTPUT)
	$(call msg,DEPS,bench)
	$(Q)scripts/install-deps bench
	$(Q)touch $@

bench: $(OUTPUT)/socktrace $(BENCH_BINS) $(OUTPUT)/deps-bench.stamp
	$(Q)bench/run $(BENCH_ARGS)

# The smoke run `make test` ends with: does every piece of the suite still run?
test-bench: $(OUTPUT)/socktrace $(BENCH_BINS) $(OUTPUT)/deps-bench.stamp
	$(Q)tests/bench/smoke

# Soak (not part of `make test`): SOAK_SECONDS (default 600) of a connection storm, with
# socktrace's RSS and map entries sampled every 10 s and a verdict on their flatness.
soak: $(OUTPUT)/socktrace $(OUTPUT)/bench/loadgen
	$(Q)scripts/soak $(OUTPUT)/socktrace $(OUTPUT)/bench/loadgen

# The unit's ExecStart names the installed binary: made from its template at install time,
# so that it follows SBINDIR (PREFIX) as given to this `make install`.
INSTALLED := $(SBINDIR)/socktrace $(MANDIR)/man8/socktrace.8 $(DOCDIR)/README.md \
	     $(BASH_COMPLETION_DIR)/socktrace $(SYSTEMD_UNIT_DIR)/socktrace-exporter.service

install: $(OUTPUT)/socktrace
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)sed 's|@SBINDIR@|$(SBINDIR)|g' systemd/socktrace-exporter.service.in \
		>$(OUTPUT)/socktrace-exporter.service
	$(Q)install -D -m 0755 $(OUTPUT)/socktrace $(DESTDIR)$(SBINDIR)/socktrace
	$(Q)install -D -m 0644 man/socktrace.8 $(DESTDIR)$(MANDIR)/man8/socktrace.8
	$(Q)install -D -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	$(Q)install -D -m 0644 completion/socktrace.bash $(DESTDIR)$(BASH_COMPLETION_DIR)/socktrace
	$(Q)install -D -m 0644 $(OUTPUT)/socktrace-exporter.service \
		$(DESTDIR)$(SYSTEMD_UNIT_DIR)/socktrace-exporter.service

uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	$(Q)rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true

format:
	clang-format -i bpf/*.c bpf/*.h user/*.c user/*.h tests/unit/*.c tests/fuzz/*.c tests/fuzz/*.h

clean:
	rm -rf $(OUTPUT)

-include $(wildcard $(OUTPUT)/*.d $(OUTPUT)/tests/*.d $(OUTPUT)/bench/*.d \
	$(ASAN_OUT)/*.d $(ASAN_OUT)/tests/*.d $(FUZZ_OUT)/*.d)

# Keep the .bpf.o and .skel.h the pattern chain makes, as libbpf-bootstrap does.
.SECONDARY:
