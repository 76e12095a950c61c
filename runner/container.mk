# The runner on the NVR host (docs/container.md). Docker or podman, whichever is installed.
ENGINE ?= $(shell command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 && echo docker || (command -v podman >/dev/null 2>&1 && echo podman))
IMAGE ?= nvr-backup-runner:latest
CONTAINER ?= nvr-backup-runner
KEY_FILE ?= /etc/nvr-backup/gcs-key.json
ENV_FILE ?= runner/.env
RUN_FLAGS = --env-file $(ENV_FILE) -e GCS_KEYFILE_PATH=/secrets/gcs-key.json -v $(KEY_FILE):/secrets/gcs-key.json:ro --read-only --tmpfs /tmp

.PHONY: runner runner-image runner-once runner-local runner-stop runner-logs runner-status runner-preflight

runner-preflight:
	@test -n "$(ENGINE)" || { echo "no container engine (docker or podman) found: use 'make runner-local' to run with node directly"; exit 2; }
	@test -f $(ENV_FILE) || { echo "missing $(ENV_FILE): cp .env.example $(ENV_FILE) and edit it"; exit 2; }
	@test -f $(KEY_FILE) || { echo "missing key file $(KEY_FILE) (set KEY_FILE=...; see docs/infra.md#the-runners-key)"; exit 2; }

# podman defaults to the OCI format, which drops HEALTHCHECK: ask for the docker format.
BUILD_FORMAT = $(if $(findstring podman,$(ENGINE)),--format docker,)

runner-image: runner-preflight
	$(ENGINE) build $(BUILD_FORMAT) -f runner/Dockerfile -t $(IMAGE) .

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
	node --env-file=$(ENV_FILE) runner/dist/cli.js daemon --watch
