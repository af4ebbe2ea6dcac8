# cdq-engine: the two commands a user needs are `make demo` and `make test`.
# Both install what they need on Debian 12 when run as root (scripts/deps.sh).

SWIFT ?= swift
BIN_DIR = $(shell $(SWIFT) build --show-bin-path 2>/dev/null || echo .build/debug)

.PHONY: all deps build test unit-test test-tsan test-kernel demo demo-engine demo-kernel bench bench-micro clean

all: build

## Debian packages the build needs (liburing-dev, pkg-config).
deps:
	@scripts/deps.sh

build: deps
	$(SWIFT) build

## Unit tests, then the passthrough proof on a real Linux NVMe driver under QEMU.
test: unit-test test-tsan
	@$(MAKE) --no-print-directory test-kernel

## Unit tests in parallel, then the tests that count the process's file
## descriptors, alone (they cannot share the process with other tests).
unit-test: build
	$(SWIFT) test
	CDQ_EXCLUSIVE_TESTS=1 $(SWIFT) test --skip-build --no-parallel --filter 'ReleasesEveryDescriptor'

## The concurrency tests (engine, rings, controller thread, end to end)
## again under ThreadSanitizer; any report fails the run.
TSAN_TESTS = CDQEngineTests|CDQQueuesTests|ControllerRunnerTests|EndToEndTests|CDQKernelTests
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

clean:
	$(SWIFT) package clean
	rm -rf .cache/test-kernel
