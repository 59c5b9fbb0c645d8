# salesseg: `make local` runs the stack locally, `make test` runs every check.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
NODE_DIR := infra/node
WEB_DIR := web
WEB_DIST := internal/dashboard/dist
CHROMIUM ?= /usr/bin/chromium
LAMBDA_FLAGS := GOOS=linux GOARCH=arm64 CGO_ENABLED=0
LAMBDA_BUILD := $(GO) build -tags lambda.norpc -trimpath -ldflags "-s -w"

.PHONY: local test deps check-tools lint node-test unit bench bench-ingest bench-e2e bench-recompute build size clean web web-deps web-check chromium \
	build-IngestFunction build-ApiFunction build-RecomputeFunction

## deps: install the Node tools (dynalite, DuckDB) and Go modules.
deps: check-tools $(NODE_DIR)/node_modules/.installed
	$(GO) mod download

check-tools:
	@command -v $(GO) >/dev/null || { echo "make: go is required (Go 1.26)"; exit 1; }
	@command -v node >/dev/null || { echo "make: node is required (install Node.js 20+: apt-get install nodejs npm)"; exit 1; }
	@command -v npm >/dev/null || { echo "make: npm is required (apt-get install npm)"; exit 1; }

# npm ci installs exactly the lock file and never writes it, so a fresh clone
# stays clean; the lock lists every platform's DuckDB binding, as npm writes it.
$(NODE_DIR)/node_modules/.installed: $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && npm ci --no-audit --no-fund
	touch $@

## web-deps: install the dashboard's pinned npm packages (Vite, Chart.js, playwright-core, Vitest, openapi-typescript).
web-deps: check-tools $(WEB_DIR)/node_modules/.installed

$(WEB_DIR)/node_modules/.installed: $(WEB_DIR)/package.json $(WEB_DIR)/package-lock.json
	cd $(WEB_DIR) && npm ci --no-audit --no-fund
	touch $@

## web: build the dashboard into $(WEB_DIST), which the Go binary embeds; commit the result.
web: web-deps
	cd $(WEB_DIR) && npm run build

## web-check: fail if web/src/openapi.ts is stale against internal/api/openapi.json, run the
## dashboard's unit tests, then rebuild it into a scratch directory and fail if it differs from the committed build.
web-check: web-deps
	@cd $(WEB_DIR) && npm run --silent check-types || { \
	  echo "make: $(WEB_DIR)/src/openapi.ts is stale: run 'cd $(WEB_DIR) && npm run gen-types' and commit it"; exit 1; }
	cd $(WEB_DIR) && npm test
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	  (cd $(WEB_DIR) && SALESSEG_WEB_OUT="$$tmp/dist" npm run --silent build -- --logLevel warn) && \
	  diff -r "$$tmp/dist" $(WEB_DIST) >/dev/null || { \
	    diff -r "$$tmp/dist" $(WEB_DIST) | head -20 || true; \
	    echo "make: $(WEB_DIST) does not match the sources in $(WEB_DIR)/: run 'make web' and commit $(WEB_DIST)"; exit 1; }

## chromium: install Debian's Chromium for the browser test unless it is there.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "make: $(CHROMIUM) is missing; install it as root: apt-get update && apt-get install -y chromium"; exit 1; fi; \
	  echo "installing Debian chromium for the browser test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi
	@$(CHROMIUM) --version

## local: run the whole stack locally with the sample data loaded; PORT, S3_PORT,
## DYNAMODB_PORT and SQS_PORT choose its ports (make local PORT=9090).
PORT ?= 8080
S3_PORT ?= 4566
DYNAMODB_PORT ?= 4567
SQS_PORT ?= 4568
local: deps
	$(GO) run ./cmd/salesseg local -addr 127.0.0.1:$(PORT) -s3-addr 127.0.0.1:$(S3_PORT) \
	  -dynamodb-port $(DYNAMODB_PORT) -sqs-addr 127.0.0.1:$(SQS_PORT)

## test: formatting, vet, staticcheck, cfn-lint, the dashboard build check, the dynalite launcher's tests, and all Go tests
## with the race detector (the browser test needs Chromium and playwright-core).
test: deps web-check chromium lint node-test unit

## node-test: the tests of the Node tools' launcher (infra/node/*.test.cjs).
node-test: deps
	cd $(NODE_DIR) && node --test

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed on: $$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	@command -v cfn-lint >/dev/null || { echo "make: cfn-lint is required (it ships on this machine image; elsewhere: pip install cfn-lint)"; exit 1; }
	cfn-lint template.yaml
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }

unit:
	$(GO) test -race -count=1 -timeout 60m ./...

## bench: benchmarks, each printing ratios against a reference run in the same process.
bench: deps
	$(GO) test -run '^$$' -bench . -benchmem ./...

## bench-ingest: the ingest core on a generated MB-megabyte CSV (default 1 GB) of shape
## SHAPE (superstore, the default, or highcard) against encoding/csv and DuckDB, in ROUNDS
## alternating rounds (default 5); prints the ratios.
MB ?= 1024
ROUNDS ?= 5
SHAPE ?= superstore
bench-ingest: deps
	infra/bench/run.sh $(MB) $(ROUNDS) $(SHAPE)

## bench-e2e: the local stack end to end, about half an hour: the queries' DynamoDB items and
## latency for the same rows uploaded as 1, 10, 100 and 1,000 files, then the DynamoDB writes and
## upload-to-succeeded against the ingest core for a WIDE_MB-megabyte high-cardinality CSV (default 100).
WIDE_MB ?= 100
bench-e2e: deps
	SALESSEG_BENCH_FILES=1,10,100,1000 $(GO) test -run '^$$' -bench QueryCostByFiles -benchtime 1000x -timeout 2h ./internal/api/
	SALESSEG_BENCH_WIDE_MB=$(WIDE_MB) $(GO) test -run '^$$' -bench 'IngestWrites/wide|UploadToSucceeded' -timeout 2h ./internal/ingest/

## bench-recompute: the sharded recompute, step by step, on CUSTOMERS generated customers (default
## 1,000,000; about 21 purchase days each from a BG/NBD process) in SHARDS shards (default 256):
## each step's peak RSS, time per million purchases, BG/NBD recovery and the projected wall time
## on AWS. MEMLIMIT is the Go soft memory limit (default 450MiB, a 512 MB function's).
CUSTOMERS ?= 1000000
SHARDS ?= 256
MEMLIMIT ?= 450MiB
bench-recompute:
	GOMEMLIMIT=$(MEMLIMIT) SALESSEG_BENCH_CUSTOMERS=$(CUSTOMERS) SALESSEG_BENCH_SHARDS=$(SHARDS) \
		$(GO) test -run '^$$' -bench ShardedRecompute -benchtime 1x -timeout 3h ./internal/recompute/

## build: the three Lambda bootstraps under build/<Function>/bootstrap.
build:
	$(MAKE) build-IngestFunction ARTIFACTS_DIR=build/IngestFunction
	$(MAKE) build-ApiFunction ARTIFACTS_DIR=build/ApiFunction
	$(MAKE) build-RecomputeFunction ARTIFACTS_DIR=build/RecomputeFunction

## size: the stripped arm64 bootstrap of each function, in bytes and MB (target for the API: <= 15 MB).
size: build
	@for f in IngestFunction ApiFunction RecomputeFunction; do \
	  b=$$(stat -c %s build/$$f/bootstrap); \
	  awk -v f=$$f -v b=$$b 'BEGIN { printf "%-18s %10d bytes  %5.1f MB\n", f, b, b / 1048576 }'; \
	done

# sam build calls these with ARTIFACTS_DIR set (template.yaml: BuildMethod makefile).
build-IngestFunction:
	$(LAMBDA_FLAGS) $(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/ingest
build-ApiFunction:
	$(LAMBDA_FLAGS) $(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/api
build-RecomputeFunction:
	$(LAMBDA_FLAGS) $(LAMBDA_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/recompute

clean:
	rm -rf build $(NODE_DIR)/node_modules $(WEB_DIR)/node_modules
