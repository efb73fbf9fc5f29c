# Wraps the CMake presets. `make run` and `make test` do all setup on a fresh
# Debian 12 machine (packages via scripts/install-deps, which needs root or sudo).
.PHONY: all deps build-deps release debug run test crash bench format clean

JOBS ?= $(shell nproc)

all: release

deps:
	scripts/install-deps test
	@[ -d web/node_modules/@kern-ux/native ] || npm ci --prefix web --no-audit --no-fund
	@[ -d tests/node_modules/playwright-core ] && [ -d tests/node_modules/@apidevtools/swagger-parser ] && [ -d tests/node_modules/oidc-provider ] && [ -d tests/node_modules/smtp-server ] && [ -d tests/node_modules/mailparser ] || npm ci --prefix tests --no-audit --no-fund

build-deps:
	scripts/install-deps build
	@[ -d web/node_modules/@kern-ux/native ] || npm ci --prefix web --no-audit --no-fund

release: build-deps
	cmake --preset release -DPASSWERK_BUILD_TESTS=OFF
	cmake --build --preset release -j $(JOBS)

debug: deps
	cmake --preset debug
	cmake --build --preset debug -j $(JOBS)

# Build, create the demo dataset on first start, serve on 127.0.0.1:8080 with
# the portal's test sign-in switched on (a banner on every portal page says so).
run: release
	@mkdir -p data
	@if [ ! -f data/demo.json ]; then \
	  build/release/passwerk demo --data data > data/demo.json.tmp && mv data/demo.json.tmp data/demo.json; \
	fi
	@build/release/passwerk demo --data data --text
	PASSWERK_PORTAL_TEST_LOGIN=true PASSWERK_SMTP_URL=file://data/mail build/release/passwerk serve --data data

# Everything: unit, storage contract (SQLite and a private PostgreSQL 15),
# functional (real binary over HTTP) and browser (Chromium + axe-core) tests.
test: debug
	scripts/with-postgres ctest --preset debug -j 2 --output-on-failure

# The crash test with 100 kills per engine (make test runs 10): mixed writes
# against the debug binary, SIGKILLed at random moments; CRASH_SEED=N repeats a run.
crash: debug
	PASSWERK_BIN=build/debug/passwerk scripts/with-postgres node tests/crash/crash.mjs --kills 100 --engine both

bench:
	scripts/install-deps bench
	@[ -d web/node_modules/@kern-ux/native ] || npm ci --prefix web --no-audit --no-fund
	scripts/bench

format:
	find src bench -name '*.cpp' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf build
