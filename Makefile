# Scrypted NVR off-site backup. The two set-up commands: `make demo` and `make test` (both install what they need).
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE_TSX := node --import tsx

.PHONY: help install typecheck test demo build bench faults recovery backfill-check

help:
	@echo "Set-up and development:"
	@echo "  make demo            run the whole backup job locally (Scrypted test server, GCS test server, Firestore emulator)"
	@echo "  make test            run every test (installs npm packages first)"
	@echo "  make install         npm ci (only when package files changed)"
	@echo "  make typecheck       tsc --noEmit for runner and infra"
	@echo "  make build           compile the runner to runner/dist"
	@echo "  make bench           benchmarks (results in bench/results/latest.json)"
	@echo "  make faults          the fault harness (TRIALS=24 SEED=... [KIND='one kind']; a 5-trial version runs in make test)"
	@echo "  make recovery        daemon --watch under live cameras: median/p99 recovery point (MINUTES=5 CAMERAS=3)"
	@echo "  make backfill-check  a 1,000-clip first backfill (5 cameras x 200) against the local stack, RUNS=10 times; each must end exit 0"
	@echo "The cloud side (docs/infra.md):"
	@echo "  make synth           write cdktf.out/stacks/nvr-backup/cdk.tf.json (no terraform needed)"
	@echo "  make hcl             the same stack as plain Terraform HCL"
	@echo "  make deploy          cdktf deploy (NVR_BACKUP_PROJECT_ID=...; DEPLOY_FLAGS=--migrate-state after a state move)"
	@echo "  make audit           the deployed bucket against the settings ([BUCKET=...])"
	@echo "The runner on the NVR host (docs/container.md; ENGINE=docker|podman, BASE_IMAGE=..., RUN_EXTRA_FLAGS=..., KEY_FILE=..., ENV_FILE=...):"
	@echo "  make runner          build the image and start the daemon container (daemon --watch)"
	@echo "  make runner-once     one backup run in the container, exit code of the run"
	@echo "  make runner-image    build the image only"
	@echo "  make runner-preflight  check the engine, the env file and the key (owner uid 1000, readable) before a build"
	@echo "  make runner-status   the watermark per camera, from inside the running container"
	@echo "  make runner-logs     follow the container's log"
	@echo "  make runner-stop     stop and remove the container"
	@echo "  make runner-local    run the daemon with node, no container engine"
	@echo "  make runner-image-test  build and run the image with podman against the local stack (says why it skips where it cannot)"

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

# A 1,000-clip first backfill (5 cameras x 200) against the local stack, RUNS times (not part of make test).
RUNS ?= 10
backfill-check: install
	RUNS=$(RUNS) $(NODE_TSX) runner/test/support/backfill-check-main.ts

-include infra/infra.mk
-include runner/container.mk
