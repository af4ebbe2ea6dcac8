# cdq-engine: the two commands a user needs are `make demo` and `make test`.
# Both install what they need on Debian 12 when run as root (scripts/deps.sh).

SWIFT ?= swift
BIN_DIR = $(shell $(SWIFT) build --show-bin-path 2>/dev/null || echo .build/debug)

.PHONY: all deps build test unit-test test-tsan test-kernel demo demo-remote demo-engine demo-kernel bench bench-micro clean
.PHONY: test-c install-c

all: build

## Debian packages the build needs (liburing-dev, pkg-config).
deps:
	@scripts/deps.sh

build: deps
	$(SWIFT) build

## Unit tests, then the passthrough proof on a real Linux NVMe driver under QEMU.
test: unit-test test-tsan test-c
	@$(MAKE) --no-print-directory test-kernel

## Unit tests in parallel, then the tests that count the process's file
## descriptors, alone (they cannot share the process with other tests).
unit-test: build
	$(SWIFT) test
	CDQ_EXCLUSIVE_TESTS=1 $(SWIFT) test --skip-build --no-parallel --filter 'ReleasesEveryDescriptor'

## The concurrency tests (engine, rings, controller thread, end to end,
## migration, the C API, cdqctl watch as a process)
## again under ThreadSanitizer; any report fails the run.
TSAN_TESTS = CDQEngineTests|CDQQueuesTests|ControllerRunnerTests|EndToEndTests|CDQKernelTests|CDQMigrationTests|CDQEngineCTests|WatchTests
test-tsan: deps
	$(SWIFT) build --scratch-path .build-tsan --sanitize=thread --build-tests
	$(SWIFT) test --scratch-path .build-tsan --sanitize=thread --skip-build --filter '$(TSAN_TESTS)'

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

## Engine against the synchronous baseline, all four scenarios (a few
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
## the agent under AddressSanitizer, the library built with -sanitize=address too.
C_PREFIX = $(CURDIR)/.build/c-prefix
C_FLAGS = -std=c11 -Wall -Wextra -Werror -g -pthread
C_ASAN_BIN = $(shell $(SWIFT) build --scratch-path .build-asan --show-bin-path)
C_ASAN = -fsanitize=address -fno-omit-frame-pointer -Iinclude -L$(C_ASAN_BIN) -lcdq_engine -Wl,-rpath,$(C_ASAN_BIN)
test-c: deps
	@$(MAKE) --no-print-directory install-c PREFIX=$(C_PREFIX) C_CONFIG=debug
	cc $(C_FLAGS) -O2 -o .build/c-prefix/agent examples/agent.c $$(PKG_CONFIG_PATH=$(C_PREFIX)/lib/pkgconfig pkg-config --cflags --libs cdq-engine)
	scripts/check-c-exports.sh $(C_PREFIX)/lib/libcdq_engine.so
	$(SWIFT) build --scratch-path .build-asan --sanitize=address --product cdq_engine
	ln -sf libcdq_engine.so $(C_ASAN_BIN)/libcdq_engine.so.$(C_MAJOR)
	cc $(C_FLAGS) -o .build/c-prefix/bad_input-asan Tests/C/bad_input.c $(C_ASAN)
	cc $(C_FLAGS) -o .build/c-prefix/agent-asan examples/agent.c $(C_ASAN)
	cc $(C_FLAGS) -O2 -o .build/c-prefix/agent-static examples/agent.c $$(PKG_CONFIG_PATH=$(C_PREFIX)/lib/pkgconfig pkg-config --cflags cdq-engine) \
	    -Wl,--whole-archive $(C_PREFIX)/lib/libcdq_engine.a -Wl,--no-whole-archive \
	    $$(PKG_CONFIG_PATH=$(C_PREFIX)/lib/pkgconfig pkg-config --variable=staticlibs cdq-engine)
	.build/c-prefix/agent 2 5000
	.build/c-prefix/agent-static 1 2000
	.build/c-prefix/bad_input-asan
	.build/c-prefix/agent-asan 1 2000

clean:
	$(SWIFT) package clean
	rm -rf .cache/test-kernel
