# Scrypted NVR off-site backup. The two set-up commands: `make demo` and `make test` (both install what they need).
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE_TSX := node --import tsx

.PHONY: help install typecheck test demo build bench faults recovery

help:
	@echo "make demo        run the whole backup job locally (Scrypted test server, GCS test server, Firestore emulator)"
	@echo "make test        run every test (installs npm packages first)"
	@echo "make build       compile the runner to runner/dist"
	@echo "make synth|hcl|deploy|audit BUCKET=...   the cloud side (docs/infra.md)"
	@echo "make runner|runner-once|runner-local|runner-stop|runner-logs   the runner on the NVR host (docs/container.md)"
	@echo "make bench       benchmarks (results in bench/results/latest.json)"
	@echo "make faults      the fault harness (TRIALS=24 SEED=... [KIND='one kind']; a 5-trial version runs in make test)"
	@echo "make recovery    daemon --watch under live cameras: median/p99 recovery point (MINUTES=5 CAMERAS=3)"

install: node_modules/.install-stamp

node_modules/.install-stamp: package.json package-lock.json runner/package.json infra/package.json
	npm ci --no-audit --no-fund
	@touch $@

typecheck: install
	npx tsc --noEmit -p runner
	npx tsc --noEmit -p infra

test: typecheck
	node tools/run-tests.mjs

build: install
	npm run -w runner build

demo: install
	$(NODE_TSX) runner/test/demo/main.ts

bench: build
	$(NODE_TSX) runner/bench/run.ts

# The fault harness (a 5-trial version is part of make test): TRIALS and SEED replay a schedule.
TRIALS ?= 24
SEED ?= 20261124
faults: install
	$(NODE_TSX) runner/faults/run.ts $(TRIALS) $(SEED) "$(KIND)"

# The recovery point of daemon --watch under cameras recording live (not part of make test).
MINUTES ?= 5
CAMERAS ?= 3
recovery: install
	$(NODE_TSX) runner/faults/recovery.ts $(MINUTES) $(CAMERAS)

-include infra/infra.mk
-include runner/container.mk
