#!/usr/bin/env bash
# Builds the runner image with podman from a local base (no registry needed) and runs `check` and one `run` in it,
# read-only, against the local stack (runner/test/support/local-stack-main.ts) on the host network.
# The runtime flags are the ones this project's sandboxed machines need (no setrlimit above the current limits,
# hybrid cgroups that crun refuses); on a normal host plain `podman run` works.
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/container/make-local-base.sh localhost/node20-local
podman build --format docker --isolation=chroot --network=host --build-arg BASE_IMAGE=localhost/node20-local -f runner/Dockerfile -t localhost/nvr-backup-runner:latest .
podman image ls localhost/nvr-backup-runner:latest
node --import tsx runner/test/support/local-stack-main.ts > /tmp/nvr-stack.json &
stack=$!
trap 'kill $stack 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do [ -s /tmp/nvr-stack.json ] && break; sleep 1; done
node -e 'const e=JSON.parse(require("fs").readFileSync("/tmp/nvr-stack.json","utf8").split("\n")[0]);console.log(Object.entries(e).map(([k,v])=>k+"="+v).join("\n"))' > /tmp/nvr-stack.env
run=(podman --runtime runc --cgroup-manager cgroupfs run --rm --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --read-only --tmpfs /tmp --network=host --env-file /tmp/nvr-stack.env -e GCS_KEYFILE_PATH= localhost/nvr-backup-runner:latest)
"${run[@]}" check
"${run[@]}" run | tail -1
