# Front door. `make run` and `make test` are the two set-up commands (README.md).
#   make build      configure (Ninja when present, ccache when present) and build; ./quotaguard
#   make run        deps + build + ./quotaguard serve on built-in defaults (127.0.0.1:8318)
#   make test       deps + build + every test through ctest (summary at the end)
#   make test-asan  the same with AddressSanitizer + UBSan in build-asan/
#   make bench      build + run the benchmark programs;  make clean  removes build trees
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
CMAKE_FLAGS ?=

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
	@$(MAKE) --no-print-directory test BUILD_DIR=build-asan CMAKE_FLAGS="-DQG_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug"

# Builds and runs every benchmark program (bench/<area>/); figures go to docs/PERFORMANCE.md.
bench: build
	@for b in $$(find $(BUILD_DIR)/bench -mindepth 2 -maxdepth 2 -type f -executable | sort); do \
	  echo "== $$b"; $$b || exit $$?; done

clean:
	rm -rf $(BUILD_DIR) build-asan quotaguard

demo: build
	@BUILD_DIR=$(BUILD_DIR) scripts/demo.sh
