# trailsweep — `make help` lists the targets.
GO        ?= go
GOBIN     := $(shell $(GO) env GOPATH)/bin
VERSITYGW := $(GOBIN)/versitygw
STATICCHECK := $(GOBIN)/staticcheck
BIN       := bin/trailsweep
VERSION   := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: help build demo test test-short lint fuzz tidy-check clean bench bench-go bench-span bench-listing duckdb

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build bin/trailsweep
	$(GO) build -trimpath -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/trailsweep

demo: build ## scan the bundled sample logs with the built-in rules
	./$(BIN) scan testdata/sample

$(VERSITYGW):
	$(GO) install github.com/versity/versitygw/cmd/versitygw@v1.8.0

test: $(VERSITYGW) ## run every test (installs versitygw v1.8.0 for the S3 tests)
	PATH="$(GOBIN):$$PATH" $(GO) test -count=1 ./...
	TRAILSWEEP_TEST_SWAR=1 $(GO) test -count=1 -run 'Decoder|Grammar|Gzip|StopBits' ./reader

test-short: ## run the tests that need no S3 server
	$(GO) test -count=1 -short ./...

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint: $(STATICCHECK) ## go vet, staticcheck, gofmt and a go mod tidy check
	$(GO) vet ./...
	$(STATICCHECK) ./...
	@test -z "$$(gofmt -l cmd scan reader report internal)" || (gofmt -l cmd scan reader report internal; echo "gofmt: files above need formatting"; exit 1)
	@$(MAKE) --no-print-directory tidy-check

tidy-check: ## fail when go mod tidy would change go.mod or go.sum
	@$(GO) mod tidy -diff >/dev/null || { echo "go mod tidy changes go.mod/go.sum: run it and commit"; exit 1; }

FUZZTIME ?= 30s
# Go 1.26's fuzzing coordinator can fail a target with a bare "context
# deadline exceeded" as -fuzztime ends, writing no input (golang/go#75804,
# fixed in Go 1.27): such a run is retried once; a failing input always fails.
fuzz: ## run each fuzz target (every func Fuzz* of every package) for FUZZTIME (default 30s); CI uses 4s
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; \
			for try in 1 2; do \
				out=$$($(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg 2>&1) && { echo "$$out" | tail -1; break; }; \
				echo "$$out"; \
				if [ $$try = 1 ] && echo "$$out" | grep -q 'context deadline exceeded' && ! echo "$$out" | grep -q 'Failing input written'; then \
					echo "(the Go 1.26 fuzzing deadline race, golang/go#75804: no failing input; once more)"; \
				else exit 1; fi; \
			done; \
		done; done

# DuckDB, the bench's yardstick (issue 19: its read_json hunt for one rule),
# a bench-only tool: the library with its Node binding from npm, pinned,
# into .cache/tools/duckdb (npm's cache aside, nothing outside the work tree).
# The DuckDB CLI's PyPI wheel would do as well, but PyPI cannot be reached
# from the project's machines; DuckDB is in no go.mod.
DUCKDB_NPM   := 1.5.6-r.1
DUCKDB_DIR   := .cache/tools/duckdb
DUCKDB_STAMP := $(DUCKDB_DIR)/.installed-$(DUCKDB_NPM)
$(DUCKDB_STAMP):
	rm -rf $(DUCKDB_DIR)
	npm install --prefix $(DUCKDB_DIR) --no-audit --no-fund --loglevel=error @duckdb/node-api@$(DUCKDB_NPM)
	touch $@

duckdb: $(DUCKDB_STAMP) ## install DuckDB 1.5.6 (npm @duckdb/node-api, needs node) into .cache/tools/duckdb for make bench's duckdb row
	@node $(CURDIR)/internal/bench/duckdb.mjs $(abspath $(DUCKDB_DIR)) 1 "SELECT 1 AS ok"

BENCH_GB     ?= 1
BENCH_MEM_GB ?= 4
BENCH_SEED   ?= 1
BENCH_REPEAT ?= 3
BENCH_OUT    ?= .cache/bench/results.json
BENCH_ROWS     ?=
BENCH_BASE_BIN ?=
bench: build $(VERSITYGW) ## scan vs inflate floor, RSS, S3, scaling, DuckDB (BENCH_GB=1 BENCH_MEM_GB=4 BENCH_REPEAT=3, fastest of the repeats; trees cached in .cache/bench; BENCH_ROWS=checkpoint,... a subset, BENCH_BASE_BIN another build for the checkpoint row); results in BENCH_OUT
	@$(MAKE) --no-print-directory duckdb || echo "make bench: DuckDB could not be installed (make duckdb): the duckdb row will be skipped"
	PATH="$(GOBIN):$$PATH" BENCH_GB=$(BENCH_GB) BENCH_MEM_GB=$(BENCH_MEM_GB) BENCH_SEED=$(BENCH_SEED) BENCH_REPEAT=$(BENCH_REPEAT) BENCH_OUT=$(abspath $(BENCH_OUT)) \
		BENCH_ROWS=$(BENCH_ROWS) BENCH_BASE_BIN=$(BENCH_BASE_BIN) BENCH_DUCKDB=$(abspath $(DUCKDB_DIR)) \
		$(GO) test -tags bench -run '^TestBench$$' -count=1 -v -timeout 2h ./internal/bench
	@$(MAKE) --no-print-directory bench-span
	@$(MAKE) --no-print-directory bench-listing
	@$(MAKE) --no-print-directory bench-go

BENCH_SPAN_DAYS ?= 10,20,60
bench-span: build ## span series: 100 accounts, one file an account-hour, BENCH_SPAN_DAYS days (10,20,60), every rule; CPU s per GB and peak RSS per point
	BENCH_SPAN_DAYS=$(BENCH_SPAN_DAYS) BENCH_SEED=$(BENCH_SEED) BENCH_SPAN_OUT=$(abspath $(dir $(BENCH_OUT)))/span.json \
		$(GO) test -tags bench -run '^TestBenchSpan$$' -count=1 -v -timeout 2h ./internal/bench

bench-listing: build $(VERSITYGW) ## S3 scans of a 100-account, 10-day tree (33,600 objects, windowed) with 20 and 50 ms added to each listing request, concurrent and --list-concurrency 1, built-in rules and the seed rule (issue #20)
	PATH="$(GOBIN):$$PATH" BENCH_SEED=$(BENCH_SEED) BENCH_REPEAT=$(BENCH_REPEAT) BENCH_LIST_OUT=$(abspath $(dir $(BENCH_OUT)))/listing.json \
		$(GO) test -tags bench -run '^TestBenchListing$$' -count=1 -v -timeout 2h ./internal/bench

BENCHTIME ?= 1s
bench-go: ## Go benchmarks of the hot pieces (split, ECS fields, rule matching, Parquet, one worker vs inflate), bytes/s
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) ./reader ./internal/ecs ./internal/rule ./report ./scan

clean: ## remove build output
	rm -rf bin
