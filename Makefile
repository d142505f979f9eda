# amldsr: two commands do all set-up on a fresh machine.
#   make run    build, start the simulator and the handler in local mode
#   make test   every test (starts what the tests need)
GO        ?= go
BIN       := bin
TEST_TIMEOUT ?= 20m

DIST      ?= dist

.PHONY: all build run test test-short bench vet tidy clean package deploy

all: build

build:
	$(GO) build -o $(BIN)/handler ./handler
	$(GO) build -o $(BIN)/mlsim ./tools/mlsim
	$(GO) build -o $(BIN)/amldsr ./cmd/amldsr

run: build
	./scripts/run-local.sh

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l cmd handler infra examples internal tools test)" || (echo "gofmt needed:"; gofmt -l cmd handler infra examples internal tools test; exit 1)

# go.mod lists every direct dependency as direct and nothing unused:
# make test fails when `go mod tidy` would change go.mod or go.sum.
tidy:
	@$(GO) mod tidy -diff >/dev/null 2>&1 || (echo "go.mod/go.sum are not tidy: run go mod tidy"; $(GO) mod tidy -diff; exit 1)

test: vet tidy
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

test-short:
	$(GO) test -short -count=1 ./...

# One table, measured in one run (not part of make test): test/bench/table_test.go.
# BENCH_ROWS selects row groups (steps,stream,instances,readiness,big; empty: all).
BENCH_TABLE ?= $(CURDIR)/.run/bench-table.txt
# BENCH_BIGLIMIT is how long the 100,000-step row waits for its request.
BENCH_ROWS ?=
BENCH_BIGLIMIT ?= 60m
bench:
	@mkdir -p $(dir $(BENCH_TABLE))
	$(GO) test -count=1 -timeout 150m -run '^TestBenchTable$$' ./test/bench -args -table $(BENCH_TABLE) -rows '$(BENCH_ROWS)' -biglimit $(BENCH_BIGLIMIT)
	@cat $(BENCH_TABLE)

# The Functions app: a static linux/amd64 binary, host.json and the function
# folders staged side by side as the host reads them, zipped for zip deploy.
package:
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 $(GO) build -trimpath -ldflags='-s -w' -o $(DIST)/handler ./handler
	$(GO) run ./tools/pack -root . -bin $(DIST)/handler -stage $(DIST)/app -zip $(DIST)/amldsr.zip

# Zip-deploys make package's output to the function app APP in resource
# group RG (created by infra/azuredeploy.json); needs the az CLI, signed in.
deploy:
	@test -n "$(RG)" -a -n "$(APP)" || (echo "usage: make deploy RG=<resource group> APP=<function app>"; exit 1)
	$(MAKE) package
	az functionapp deployment source config-zip -g "$(RG)" -n "$(APP)" --src $(DIST)/amldsr.zip

clean:
	rm -rf $(BIN) dist .run
