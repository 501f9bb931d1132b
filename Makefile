# hbd: a Go drop-in for the Linux-HA Heartbeat v1 failover daemon.
#
#   make demo   build, then a live two-node failover in network namespaces (root)
#   make test   the whole suite, as CI runs it (root runs the namespace tests too)

GO        ?= go
PREFIX    ?= /usr/local
DESTDIR   ?=
HADIR     ?= /etc/ha.d
FUZZTIME  ?= 20000x
# Packages the root-only tests use as real peers and oracles. Installed
# only when running as root and only when missing.
APT_PKGS  := iproute2 tcpdump util-linux mount heartbeat resource-agents pacemaker-cli-utils

CMDS      := hbd hbctl cl_status hb_standby hb_takeover
IS_ROOT   := $(shell [ "$$(id -u)" = 0 ] && echo yes)
# Every package but the cross-process tests, which need root and real binaries.
UNIT_PKGS  = $(shell $(GO) list ./... | grep -v '/tests')

.PHONY: all build test deps vet fmt-check unit fuzz-smoke fuzz root-tests demo install clean \
	conformance difftest bench bench-crm bench-crm-large

all: build

build:
	@mkdir -p bin
	$(GO) build -o bin/ ./cmd/...

# deps installs the Debian packages the root-only tests need. apt-get update
# runs only when something is missing, so repeated runs stay fast.
deps:
ifeq ($(IS_ROOT),yes)
	@missing=""; for p in $(APT_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; \
	fi; \
	if [ -d /run/systemd/system ] && systemctl is-enabled -q heartbeat 2>/dev/null; then \
	  echo "disabling the host's heartbeat.service: the tests run heartbeat only inside namespaces"; \
	  systemctl disable --now heartbeat; \
	fi
else
	@echo "deps: not root; skipping apt-get install of $(APT_PKGS) (namespace tests will skip)"
endif

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

unit:
	$(GO) test -race -count=1 $(UNIT_PKGS)

# fuzz-smoke runs every native fuzz target briefly; `make fuzz` runs each
# for 60 s. The smoke budget is a count of executions, not a duration: Go
# 1.26's fuzz coordinator can fail a target with "context deadline
# exceeded" when a duration ends under CPU load (golang/go#75804, fixed in
# Go 1.27), and a count has no deadline to race. For duration runs a
# failure counts only if it wrote a failing input to testdata/fuzz.
fuzz-smoke:
	@FUZZTIME=$(FUZZTIME) GO=$(GO) sh tests/fuzz.sh

fuzz:
	@FUZZTIME=60s GO=$(GO) sh tests/fuzz.sh

# root-tests are the cross-process tests in network namespaces. They skip
# themselves, with a reason, when not run as root.
root-tests: build
	$(GO) test -count=1 -timeout 20m ./tests/...

test: deps build vet fmt-check unit fuzz-smoke root-tests

# demo runs tests/demo: two hbd nodes and a client in network namespaces,
# a VIP with a small web service, kill -9 of the active node, the measured
# time to the first gratuitous ARP, auto_failback, cleanup (about 20 s).
# DEMO_ARGS=-dir=DIR keeps the lab's configs, logs and captures.
demo: deps build
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "make demo must run as root: it creates network namespaces and runs hbd in them (try: sudo make demo)"; \
	  exit 1; \
	fi
	$(GO) build -o bin/hbd-demo ./tests/demo
	bin/hbd-demo $(DEMO_ARGS)

# crm mode: Transition Summaries, status sections, executed actions and
# transition graphs against Pacemaker 2.1.5's regression corpus (the graph
# comparison runs Debian's crm_simulate -G live), random CIBs against
# crm_simulate, and scheduler speed.
conformance: deps
	$(GO) test -count=1 -v -run 'TestConformance|TestExecutedConformance|TestExecutedActionSets$$|TestGraphAgainstOracle' ./hbd/scheduler 2>&1 | grep -vE '^(=== |    --- PASS)'

difftest: deps
	$(GO) test -count=1 -v -run TestDifferential ./hbd/cibgen 2>&1 | grep -vE '^(=== |    --- PASS)'

bench:
	$(GO) test -run '^$$' -bench BenchmarkScheduler ./hbd/cibgen

bench-crm: deps build
	tests/bench/crm_simulate_timing.sh

bench-crm-large: deps build
	tests/bench/crm_simulate_timing.sh --large

install: build
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(HADIR)/resource.d
	for c in $(CMDS); do install -m 0755 bin/$$c $(DESTDIR)$(PREFIX)/sbin/$$c; done
	for s in resource.d/*; do [ -f "$$s" ] && install -m 0755 "$$s" $(DESTDIR)$(HADIR)/resource.d/ || true; done
	install -D -m 0644 ha.cf.example $(DESTDIR)$(PREFIX)/share/doc/hbd/ha.cf.example

clean:
	rm -rf bin
