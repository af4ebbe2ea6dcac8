# cdq-engine: the two commands a user needs are `make demo` and `make test`.
# Both install what they need on Debian 12 when run as root (scripts/deps.sh).

SWIFT ?= swift
BIN_DIR = $(shell $(SWIFT) build --show-bin-path 2>/dev/null || echo .build/debug)

.PHONY: all deps build test unit-test test-tsan test-kernel demo demo-remote demo-engine demo-kernel bench bench-micro clean
.PHONY: test-c install-c simulate simulate-ci fuzz fuzz-smoke fuzz-build soak

all: build

## Debian packages the build needs (liburing-dev, pkg-config).
deps:
	@scripts/deps.sh

build: deps
	$(SWIFT) build

## Unit tests, then the passthrough proof on a real Linux NVMe driver under QEMU.
test: unit-test simulate-ci fuzz-smoke test-tsan test-c
	@$(MAKE) --no-print-directory test-kernel

## Unit tests in parallel, then the tests that count the process's file
## descriptors, alone (they cannot share the process with other tests).
unit-test: build
	$(SWIFT) test
	CDQ_EXCLUSIVE_TESTS=1 $(SWIFT) test --skip-build --no-parallel --filter 'ReleasesEveryDescriptor'

## The concurrency tests (engine, rings, controller thread, end to end,
## migration, the C API, cdqctl watch as a process)
## again under ThreadSanitizer; any report fails the run. Not the test that
## counts page faults: the sanitizer's shadow memory faults on its own.
TSAN_TESTS = CDQEngineTests|CDQQueuesTests|ControllerRunnerTests|AdminCostTests|EndToEndTests|CDQKernelTests|CDQMigrationTests|CDQEngineCTests|WatchTests
TSAN_SKIP = SPSCRingFaultTests
test-tsan: deps
	$(SWIFT) build --scratch-path .build-tsan --sanitize=thread --build-tests
	$(SWIFT) test --scratch-path .build-tsan --sanitize=thread --skip-build --filter '$(TSAN_TESTS)' --skip '$(TSAN_SKIP)'

## Deterministic simulation of the queue protocol (docs/testing.md): SEEDS
## seeded fault schedules against the engine's core; prints seeds/s, and
## on a violation the seed, its faults and its last events.
SEEDS ?= 10000
simulate: build
	$(SWIFT) build --product cdq-sim
	$(BIN_DIR)/cdq-sim --seeds $(SEEDS)

## The simulation's share of `make test`: 10,000 seeds (some 20 s).
simulate-ci: build
	@$(MAKE) --no-print-directory simulate SEEDS=10000

## libFuzzer targets (Fuzz/, docs/testing.md): every decoder of bytes from
## a controller or a caller, built with -sanitize=fuzzer and AddressSanitizer
## in .build-fuzz. SwiftPM's --sanitize=fuzzer alone links libFuzzer but
## leaves the Swift code without coverage on this toolchain, hence the
## explicit -sanitize-coverage. Inputs found go to .build-fuzz/corpus/;
## the committed seeds are in Fuzz/corpus/. Any trap fails the target.
FUZZ_TARGETS = entry async-event feature identify controller-state c-api
FUZZ_RUNS ?= 1000000
FUZZ_SECONDS ?= 1800
FUZZ_BUILD = --scratch-path .build-fuzz --sanitize=fuzzer --sanitize=address \
	-Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp
FUZZ_BIN = $(shell CDQ_FUZZ=1 $(SWIFT) build $(FUZZ_BUILD) --show-bin-path 2>/dev/null)/cdq-fuzz
fuzz-build: deps
	CDQ_FUZZ=1 $(SWIFT) build $(FUZZ_BUILD) --product cdq-fuzz

## FUZZ_RUNS inputs per target (at least 10^6), each bounded by FUZZ_SECONDS.
fuzz: SHELL := /bin/bash
fuzz: fuzz-build
	@for target in $(FUZZ_TARGETS); do \
		mkdir -p .build-fuzz/corpus/$$target .build-fuzz/crashes && \
		echo "fuzz $$target: $(FUZZ_RUNS) inputs" && \
		CDQ_FUZZ_TARGET=$$target $(FUZZ_BIN) -runs=$(FUZZ_RUNS) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -artifact_prefix=.build-fuzz/crashes/ \
			.build-fuzz/corpus/$$target Fuzz/corpus/$$target 2>&1 | grep -E '^(stat::number_of_executed_units|Done|==|SUMMARY|INFO: Loaded)' ; \
		test $${PIPESTATUS[0]} -eq 0 || exit 1; \
	done

## The share of `make test`: 20,000 inputs per target.
fuzz-smoke: fuzz-build
	@$(MAKE) --no-print-directory fuzz FUZZ_RUNS=20000 FUZZ_SECONDS=120

## 4,096 queues under mixed load, faults and queue churn for SOAK_SECONDS;
## descriptors, RSS and mapped memory are sampled every second and the run
## fails when they grow past the bound in docs/testing.md.
SOAK_SECONDS ?= 600
soak: build
	$(SWIFT) build --product cdq-soak
	$(BIN_DIR)/cdq-soak --queues 4096 --seconds $(SOAK_SECONDS)

## Boots Debian's kernel under QEMU with an emulated NVMe controller and runs
## cdq-kernel-selftest and cdqctl inside it (docs/real-kernel.md).
test-kernel: build
	@scripts/kernel-guest.sh test $(BIN_DIR)

## The main job: a 1 GiB simulated namespace migrated live to a file while
## 4 random writers keep writing; ends with the copy verified by checksum.
demo: deps
	$(SWIFT) build -c release --product cdqctl
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && \
	$(shell $(SWIFT) build -c release --show-bin-path)/cdqctl migrate --simulate --namespace-size 1G \
		--writers 4 --write-rate 4000 --destination "$$dir/destination.img" --verify --compare-sequential

## The main job to another host: the same migration into an NBD export
## that nbdkit serves from a second network namespace, over a veth pair
## (docs/migration.md); over loopback where no namespace can be made.
demo-remote: deps
	$(SWIFT) build -c release --product cdqctl
	@scripts/demo-remote.sh $(shell $(SWIFT) build -c release --show-bin-path)/cdqctl

## The engine alone: it drains 64 simulated migratable controllers' CDQs
## while random writers run, then checks every entry arrived exactly once.
demo-engine: deps
	$(SWIFT) build -c release --product cdq-demo
	$(shell $(SWIFT) build -c release --show-bin-path)/cdq-demo --controllers 64 --seconds 3

## cdqctl against the real Linux NVMe driver in the QEMU guest.
demo-kernel: build
	@scripts/kernel-guest.sh demo $(BIN_DIR)

## Engine against the synchronous baseline, every scenario (3 to 5
## minutes): JSON in bench-results/, the chart in docs/benchmarks.svg.
bench: deps
	@scripts/bench-deps.sh
	$(SWIFT) build -c release --product cdq-bench
	@scripts/bench.sh $(shell $(SWIFT) build -c release --show-bin-path)/cdq-bench

## Microbenchmarks (Benchmarks/CDQMicro), then the allocation thresholds
## (Thresholds/: zero allocations on the hot paths), which fail the target.
bench-micro: deps
	CDQ_BENCHMARKS=1 $(SWIFT) package --scratch-path .build-bench benchmark --target CDQMicro
	CDQ_BENCHMARKS=1 $(SWIFT) package --scratch-path .build-bench benchmark thresholds check --target CDQMicro

## The C interface (docs/c-api.md): installs libcdq_engine, cdq_engine.h
## and cdq-engine.pc under PREFIX (C_CONFIG=debug for a debug build).
PREFIX ?= /usr/local
C_CONFIG ?= release
C_MAJOR = $(shell sed -n 's/^\#define CDQ_ENGINE_VERSION_MAJOR \([0-9]*\)$$/\1/p' include/cdq_engine.h)
C_VERSION = $(shell sed -n 's/^\#define CDQ_ENGINE_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$$/\2/p' include/cdq_engine.h | paste -sd.)
SWIFT_RUNTIME_DIR = $(shell $(SWIFT) -print-target-info | sed -n '/"runtimeLibraryPaths"/{n;s/^ *"\(.*\)",\{0,1\}$$/\1/p;}')
install-c: deps
	$(SWIFT) build -c $(C_CONFIG) --product cdq_engine
	@# ar adds to an existing archive, so objects of deleted sources would linger.
	rm -f $(shell $(SWIFT) build -c $(C_CONFIG) --show-bin-path)/libcdq_engine_static.a
	$(SWIFT) build -c $(C_CONFIG) --product cdq_engine_static
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 include/cdq_engine.h $(DESTDIR)$(PREFIX)/include/
	@# The real file carries the whole version; the soname link (what programs
	@# load) and the development link (what -lcdq_engine finds) point to it.
	install -m 755 $(shell $(SWIFT) build -c $(C_CONFIG) --show-bin-path)/libcdq_engine.so $(DESTDIR)$(PREFIX)/lib/libcdq_engine.so.$(C_VERSION)
	ln -sf libcdq_engine.so.$(C_VERSION) $(DESTDIR)$(PREFIX)/lib/libcdq_engine.so.$(C_MAJOR)
	ln -sf libcdq_engine.so.$(C_MAJOR) $(DESTDIR)$(PREFIX)/lib/libcdq_engine.so
	install -m 644 $(shell $(SWIFT) build -c $(C_CONFIG) --show-bin-path)/libcdq_engine_static.a $(DESTDIR)$(PREFIX)/lib/libcdq_engine.a
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(C_VERSION)|' -e 's|@SWIFT_RUNTIME_DIR@|$(SWIFT_RUNTIME_DIR)|' \
	    -e 's|@ARCH@|$(shell uname -m)|' -e 's|@SWIFT_DEBUG_LIBS@|$(if $(filter debug,$(C_CONFIG)),-lswiftSwiftOnoneSupport ,)|' \
	    scripts/cdq-engine.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/cdq-engine.pc

## The C example agent (8 simulated controllers, two consumer threads,
## exactly-once check), built with cc against a debug install found through
## pkg-config, shared and static; the installed library's exported symbols
## (exactly the header's functions) and soname; then the bad-input test and
## the agent under AddressSanitizer, the library built with -sanitize=address too,
## and the run-to-completion agent (Tests/C/poll_agent.c: cdq_engine_poll, records inline).
C_PREFIX = $(CURDIR)/.build/c-prefix
C_FLAGS = -std=c11 -Wall -Wextra -Werror -g -pthread
# The header from C++ (Tests/C/cxx_client.cpp): the oldest standard it promises.
CXX_FLAGS = -std=c++11 -Wall -Wextra -pedantic -Werror -g -pthread
C_ASAN_BIN = $(shell $(SWIFT) build --scratch-path .build-asan --show-bin-path)
C_ASAN = -fsanitize=address -fno-omit-frame-pointer -Iinclude -L$(C_ASAN_BIN) -lcdq_engine -Wl,-rpath,$(C_ASAN_BIN)
test-c: deps
	@$(MAKE) --no-print-directory install-c PREFIX=$(C_PREFIX) C_CONFIG=debug
	cc $(C_FLAGS) -O2 -o .build/c-prefix/agent examples/agent.c $$(PKG_CONFIG_PATH=$(C_PREFIX)/lib/pkgconfig pkg-config --cflags --libs cdq-engine)
	c++ $(CXX_FLAGS) -O2 -o .build/c-prefix/cxx_client Tests/C/cxx_client.cpp $$(PKG_CONFIG_PATH=$(C_PREFIX)/lib/pkgconfig pkg-config --cflags --libs cdq-engine)
	scripts/check-c-exports.sh $(C_PREFIX)/lib/libcdq_engine.so
	$(SWIFT) build --scratch-path .build-asan --sanitize=address --product cdq_engine
	ln -sf libcdq_engine.so $(C_ASAN_BIN)/libcdq_engine.so.$(C_MAJOR)
	cc $(C_FLAGS) -o .build/c-prefix/bad_input-asan Tests/C/bad_input.c $(C_ASAN)
	cc $(C_FLAGS) -o .build/c-prefix/agent-asan examples/agent.c $(C_ASAN)
	cc $(C_FLAGS) -o .build/c-prefix/poll_agent-asan Tests/C/poll_agent.c $(C_ASAN)
	cc $(C_FLAGS) -O2 -o .build/c-prefix/agent-static examples/agent.c $$(PKG_CONFIG_PATH=$(C_PREFIX)/lib/pkgconfig pkg-config --cflags cdq-engine) \
	    -Wl,--whole-archive $(C_PREFIX)/lib/libcdq_engine.a -Wl,--no-whole-archive \
	    $$(PKG_CONFIG_PATH=$(C_PREFIX)/lib/pkgconfig pkg-config --variable=staticlibs cdq-engine)
	.build/c-prefix/agent 2 5000
	.build/c-prefix/agent-static 1 2000
	.build/c-prefix/cxx_client
	.build/c-prefix/bad_input-asan
	.build/c-prefix/agent-asan 1 2000
	.build/c-prefix/poll_agent-asan 1 2000

clean:
	$(SWIFT) package clean
	rm -rf .cache/test-kernel
