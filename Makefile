# Front door. `make run` and `make test` are the two set-up commands (README.md).
#   make build      configure (Ninja when present, ccache when present) and build; ./quotaguard
#   make run        deps + build + ./quotaguard serve on built-in defaults (127.0.0.1:8318)
#   make test       deps + build + every test through ctest (summary at the end)
#   make test SANITIZE=1   the same suite built with AddressSanitizer + UBSan in build-asan/
#                   (any memory error or UB fails it; what CI runs; `make test-asan` = this)
#   make test-postgres     the tests that run the daemon, again on PostgreSQL (issue 19)
#   make fuzz       every libFuzzer target for FUZZ_SECONDS (clang, build-fuzz/)
#   make bench      build + run the benchmark programs;  make clean  removes build trees
CMAKE_FLAGS ?=
SANITIZE ?=
ifeq ($(SANITIZE),1)
# -O0 -g1: reports keep file:line; -O1 would run the suite faster but compiles 25% slower.
BUILD_DIR ?= build-asan
CMAKE_FLAGS += -DQG_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-O0 -g1"
endif
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")

.PHONY: deps configure build run test clean demo bench test-asan

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt:
	@cmake -S . -B $(BUILD_DIR) $(GENERATOR) $(CMAKE_FLAGS) >/dev/null

configure: $(BUILD_DIR)/CMakeCache.txt

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)
	@ln -sf $(BUILD_DIR)/cli/quotaguard quotaguard

run: deps build
	./quotaguard serve

test: deps build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 300

test-asan:
	@$(MAKE) --no-print-directory test SANITIZE=1

# Every test that runs the real daemon (ctest labels daemon, reliability, sdk, demo, browser, docs) again with
# the event log on PostgreSQL: QG_TEST_STORAGE=postgres gives each test binary a throw-away
# server and each SQLite log a fresh database instead (tests/support/test_storage.hpp).
# SQLite-only cases report Skipped with their reason (tests/README.md lists them).
# POSTGRES_TESTS=<ctest -R regex> runs only those (CI: .ci/run's subset, under SANITIZE=1).
POSTGRES_LABELS ?= ^(daemon|reliability|sdk|demo|browser|docs)$$
POSTGRES_TESTS ?=
.PHONY: test-postgres
test-postgres: deps build
	@cd $(BUILD_DIR) && QG_TEST_STORAGE=postgres ctest --output-on-failure -j $(JOBS) --timeout 900 \
	  -L '$(POSTGRES_LABELS)' $(if $(POSTGRES_TESTS),-R '$(POSTGRES_TESTS)')

# Builds and runs every benchmark program (bench/<area>/); figures go to docs/PERFORMANCE.md.
#   make bench-proxy    peers (nginx mock, nginx as a plain reverse proxy, Portkey, wrk) installed by
#                       bench/peers/setup.sh, then direct / nginx / Portkey / QuotaGuard side by side
#                       in one run (bench/proxy/compare.sh; ROUNDS, DURATION, SCENARIOS pass through);
#                       the summary with same-run ratios is kept in bench/results/proxy-<time>.txt
#   make bench-streams  N concurrent slow streams through QuotaGuard (bench/proxy/slow_streams.sh)
#   make bench-idle     a normal request with and without 5,000 idle connections open
#                       (bench/proxy/idle_connections.sh; IDLE, REQUESTS pass through)
#   make bench-cluster  one node on SQLite vs one and two nodes on PostgreSQL, 500 req/s and max
#                       (bench/cluster/compare.sh; ROUNDS, DURATION, SCENARIOS pass through)
.PHONY: bench-proxy bench-streams bench-idle bench-cluster
bench-proxy: build
	@bench/peers/setup.sh
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target qg-fake-provider >/dev/null
	@mkdir -p bench/results
	@BUILD_DIR=$(BUILD_DIR) RES_DIR=$(CURDIR)/bench/results/raw bench/proxy/compare.sh \
	  | tee bench/results/proxy-$$(date -u +%Y%m%d-%H%M%S).txt

bench-streams: build
	@bench/peers/setup.sh >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target qg-fake-provider >/dev/null
	@mkdir -p bench/results
	@BUILD_DIR=$(BUILD_DIR) bench/proxy/slow_streams.sh | tee bench/results/streams-$$(date -u +%Y%m%d-%H%M%S).txt

bench-idle: build
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target qg-fake-provider >/dev/null
	@mkdir -p bench/results
	@BUILD_DIR=$(BUILD_DIR) bench/proxy/idle_connections.sh | tee bench/results/idle-$$(date -u +%Y%m%d-%H%M%S).txt

bench-cluster: build
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target qg-fake-provider qg_postgres_fixture >/dev/null
	@mkdir -p bench/results
	@BUILD_DIR=$(BUILD_DIR) bench/cluster/compare.sh | tee bench/results/cluster-$$(date -u +%Y%m%d-%H%M%S).txt

bench: build
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target benchmarks
	@for b in $$(find $(BUILD_DIR)/bench -mindepth 2 -maxdepth 2 -type f -executable | sort); do \
	  echo "== $$b"; $$b || exit $$?; done

clean:
	rm -rf $(BUILD_DIR) build-asan quotaguard

demo: build
	@BUILD_DIR=$(BUILD_DIR) scripts/demo.sh

# Operations (engineer I): `make package` -> $(BUILD_DIR)/quotaguard_<ver>_<arch>.deb (CPack);
# `make fuzz FUZZ_SECONDS=N` builds the libFuzzer targets with clang in build-fuzz/ and runs
# each N s; `make test-reliability[-long]` runs the reliability suite (docs/RELIABILITY.md).
FUZZ_SECONDS ?= 30
FUZZ_DIR ?= build-fuzz
.PHONY: package fuzz test-reliability test-reliability-long test-cluster-long
package: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target quotaguard
	@cd $(BUILD_DIR) && cpack -G DEB >/dev/null && ls -1 $(CURDIR)/$(BUILD_DIR)/quotaguard_*.deb

fuzz:
	@scripts/install-deps.sh --fuzz
	@cmake -S . -B $(FUZZ_DIR) $(GENERATOR) -DCMAKE_CXX_COMPILER=clang++ -DQG_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
	@cmake --build $(FUZZ_DIR) -j $(JOBS) --target qg_fuzz
	@FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run_fuzz.sh $(FUZZ_DIR)

test-reliability: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -L reliability

test-reliability-long: build
	@cd $(BUILD_DIR) && QG_RELIABILITY_LONG=1 ctest --output-on-failure -L reliability --timeout 3600

# Three nodes on one PostgreSQL at full size (issue 19): 60 clients, 20 s of load, kill -9 of
# one node (tests/postgres/cluster_e2e_test.cpp; `make test` runs the short version).
test-cluster-long: build
	@cd $(BUILD_DIR) && QG_CLUSTER_LONG=1 ctest --output-on-failure -R 'cluster e2e|qg_cluster_e2e_tests' --timeout 900
