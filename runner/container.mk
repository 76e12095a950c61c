# The runner on the NVR host (docs/container.md). Docker or podman, whichever is installed.
ENGINE ?= $(shell command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 && echo docker || (command -v podman >/dev/null 2>&1 && echo podman))
IMAGE ?= nvr-backup-runner:latest
CONTAINER ?= nvr-backup-runner
KEY_FILE ?= /etc/nvr-backup/gcs-key.json
ENV_FILE ?= runner/.env
# Scrypted's certificate (PEM) on the host, mounted read-only as the container's SCRYPTED_CA_FILE; empty = none.
CA_FILE ?=
# The image's base (build argument of runner/Dockerfile); empty = the Dockerfile's default, node:20-bookworm-slim.
BASE_IMAGE ?=
# More flags for the engine's run, e.g. RUN_EXTRA_FLAGS="--network=host" or "-v /var/lib/node_exporter:/metrics".
RUN_EXTRA_FLAGS ?=
# More flags for the engine's build, e.g. BUILD_EXTRA_FLAGS=--isolation=chroot where podman cannot run a step otherwise.
BUILD_EXTRA_FLAGS ?=
# The container's user (runner/Dockerfile: USER node): the key must be readable by it.
CONTAINER_UID := 1000
RUN_FLAGS = --env-file $(ENV_FILE) -e GCS_KEYFILE_PATH=/secrets/gcs-key.json -v $(KEY_FILE):/secrets/gcs-key.json:ro \
	$(if $(CA_FILE),-e SCRYPTED_CA_FILE=/secrets/scrypted-ca.pem -v $(CA_FILE):/secrets/scrypted-ca.pem:ro) \
	--read-only --tmpfs /tmp $(RUN_EXTRA_FLAGS)
BUILD_ARGS = $(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE))

.PHONY: runner runner-image runner-once runner-local runner-stop runner-logs runner-status runner-preflight runner-image-test

# The key must be readable by uid $(CONTAINER_UID) through the mount: owned by it (mode 0400), or readable by all.
# Rootless podman maps the container's uids through the user's namespace: there the owner is read, and set, inside it.
ROOTLESS_PODMAN = $(and $(findstring podman,$(ENGINE)),$(filter-out 0,$(shell id -u)))
KEY_OWNER = $(if $(ROOTLESS_PODMAN),$(ENGINE) unshare stat -c %u,stat -c %u)
KEY_FIX = $(if $(ROOTLESS_PODMAN),chmod 0400 $(KEY_FILE) && podman unshare chown $(CONTAINER_UID) $(KEY_FILE),sudo chown $(CONTAINER_UID) $(KEY_FILE) && sudo chmod 0400 $(KEY_FILE))
runner-preflight:
	@test -n "$(ENGINE)" || { echo "no container engine (docker or podman) found: use 'make runner-local' to run with node directly"; exit 2; }
	@test -f $(ENV_FILE) || { echo "missing $(ENV_FILE): cp .env.example $(ENV_FILE) and edit it"; exit 2; }
	@test -f $(KEY_FILE) || { echo "missing key file $(KEY_FILE) (set KEY_FILE=...; see docs/infra.md#the-runners-key)"; exit 2; }
	@owner=$$($(KEY_OWNER) $(KEY_FILE)); mode=$$(stat -c %a $(KEY_FILE)); \
	  if [ "$$owner" != "$(CONTAINER_UID)" ] && [ $$(( 0$$mode & 04 )) -eq 0 ]; then \
	    echo "the key $(KEY_FILE) is owned by uid $$owner$(if $(ROOTLESS_PODMAN), (in rootless podman's user namespace)) with mode $$mode: the container runs as uid $(CONTAINER_UID) and could not read it."; \
	    echo "  fix: $(KEY_FIX)   (docs/container.md, The key)"; exit 2; fi
	@if [ -n "$(CA_FILE)" ]; then test -f "$(CA_FILE)" || { echo "missing CA_FILE $(CA_FILE) (Scrypted's certificate, PEM)"; exit 2; }; fi

# podman defaults to the OCI format, which drops HEALTHCHECK: ask for the docker format.
BUILD_FORMAT = $(if $(findstring podman,$(ENGINE)),--format docker,)

runner-image: runner-preflight
	$(ENGINE) build $(BUILD_FORMAT) $(BUILD_ARGS) $(BUILD_EXTRA_FLAGS) -f runner/Dockerfile -t $(IMAGE) .

runner: runner-image
	-$(ENGINE) rm -f $(CONTAINER) >/dev/null 2>&1
	$(ENGINE) run -d --name $(CONTAINER) --restart unless-stopped $(RUN_FLAGS) $(IMAGE)
	@echo "started $(CONTAINER): watching Scrypted, each clip backed up as soon as it settled"
	@echo "  logs:   make runner-logs   ($(ENGINE) logs -f $(CONTAINER))"
	@echo "  status: make runner-status"
	@echo "  stop:   make runner-stop"

runner-once: runner-image
	$(ENGINE) run --rm $(RUN_FLAGS) $(IMAGE) run

runner-status:
	$(ENGINE) exec $(CONTAINER) node runner/dist/cli.js status

runner-logs:
	$(ENGINE) logs -f $(CONTAINER)

runner-stop:
	$(ENGINE) stop $(CONTAINER) && $(ENGINE) rm $(CONTAINER)

runner-local: build
	@test -f $(ENV_FILE) || { echo "missing $(ENV_FILE): cp .env.example $(ENV_FILE) and edit it"; exit 2; }
	node --heap-growing-percent=300 --env-file=$(ENV_FILE) runner/dist/cli.js daemon --watch

# Builds the image with podman through the targets above and runs it against the local stack (runner/test/container/
# image.test.ts); where podman cannot, it skips and names the command that failed. BASE_IMAGE as above (default: the
# registry's node:20-bookworm-slim, else a local base made by tools/container/make-local-base.sh).
runner-image-test: install
	NVR_BACKUP_BASE_IMAGE=$(BASE_IMAGE) node tools/run-tests.mjs runner/test/container/image
