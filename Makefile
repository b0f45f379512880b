# wsd — see README.md. `make run` starts a single node; `make test` runs
# every test; `make lint` runs gofmt, go vet and staticcheck.

GO        ?= go
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME  ?= 20000x


.PHONY: all build run test unit e2e abuse fuzz chart-test lint e2e-long bench clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/wsd ./cmd/wsd
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/nmp ./cmd/nmp

run: build
	./bin/wsd

test: unit e2e abuse fuzz chart-test

# Package tests with the race detector (everything but the process-level
# e2e suite, which runs on its own so its clusters have the CPUs).
# The client is its own module (client/go.mod, standard library only), so
# the root's ./... does not reach it: every target runs it separately.
unit:
	WSD_CLIENT_MODULE_TESTED=1 $(GO) test -race -count=1 -timeout 10m $$($(GO) list ./... | grep -v -e /test/e2e -e /test/abuse)
	cd client && $(GO) test -race -count=1 -timeout 10m ./...

# Black-box tests against real wsd processes (built without -race).
e2e:
	$(GO) test -count=1 -timeout 10m ./test/e2e/...

# The abuse suite (test/abuse): hostile requests against a real node for
# WSD_ABUSE_DURATION (default 40s); prints one "abuse:" line.
abuse:
	$(GO) test -count=1 -v -timeout 20m -run TestAbuse ./test/abuse

# Every fuzz target in the tree, each for FUZZTIME (a count of executions:
# a time-based -fuzztime can end in a spurious "context deadline exceeded"),
# from its seed corpus.
fuzz:
	@set -e; for f in $$(grep -rlE --include='*_test.go' '^func Fuzz' .); do \
		dir=$$(dirname $$f); \
		for t in $$(grep -hoE '^func Fuzz[A-Za-z0-9_]+' $$f | sed 's/^func //'); do \
			echo "fuzz $$dir $$t ($(FUZZTIME))"; \
			(cd $$dir && $(GO) test -run='^$$' -fuzz="^$$t$$" -fuzztime=$(FUZZTIME) .) || exit 1; \
		done; \
	done

# The Helm chart's tests: a separate module, so that the root module never
# depends on Kubernetes packages. The first run compiles helm (minutes).
chart-test:
	cd deploy/helm/charttest && $(GO) test -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	cd client && $(GO) vet ./... && $(GO) run $(STATICCHECK) ./...
	@cd deploy/helm/charttest && out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	cd deploy/helm/charttest && $(GO) vet ./... && $(GO) run $(STATICCHECK) ./...

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./fsm

# Long fault run (test/e2e/fault_long_test.go): WSD_E2E_LONG_DURATION of
# fault rounds (default 20m), WSD_E2E_SEED to repeat an order of faults.
# -v shows each round and the "faults summary:" line. Then the abuse suite
# for WSD_ABUSE_DURATION (default 10m here; WSD_ABUSE_SEED repeats a run).
e2e-long:
	$(GO) test -v -count=1 -timeout 60m -tags e2elong ./test/e2e/...
	WSD_ABUSE_DURATION=$${WSD_ABUSE_DURATION:-10m} $(GO) test -v -count=1 -timeout 90m -run TestAbuse ./test/abuse

clean:
	rm -rf bin
