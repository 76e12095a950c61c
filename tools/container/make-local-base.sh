#!/usr/bin/env bash
# Makes a local Node 20 base image from this machine's own node, npm and shell, for building runner/Dockerfile
# where no container registry is reachable: tools/container/make-local-base.sh [image-name]
# (Then: podman build --build-arg BASE_IMAGE=localhost/node20-local -f runner/Dockerfile .)
set -euo pipefail
image=${1:-localhost/node20-local}
engine=$(command -v podman || command -v docker)
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
copy_with_libs() {
  for binary in "$@"; do
    mkdir -p "$rootfs$(dirname "$binary")"
    cp -L "$binary" "$rootfs$binary"
    ldd "$binary" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
      mkdir -p "$rootfs$(dirname "$lib")"
      cp -Ln "$lib" "$rootfs$lib"
    done
  done
}
copy_with_libs /usr/bin/node /bin/sh /bin/ls /bin/cat /bin/rm /bin/mkdir /usr/bin/env
mkdir -p "$rootfs/usr/lib/node_modules" "$rootfs/usr/bin" "$rootfs/tmp" "$rootfs/etc/ssl" "$rootfs/home/node" "$rootfs/root"
cp -a /usr/lib/node_modules/npm "$rootfs/usr/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/bin/npm"
cp -aL /etc/ssl/certs "$rootfs/etc/ssl/certs"
cp /etc/resolv.conf /etc/hosts "$rootfs/etc/" 2>/dev/null || true
printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' > "$rootfs/etc/group"
chmod 1777 "$rootfs/tmp"
chown 1000:1000 "$rootfs/home/node"
tar -C "$rootfs" -c . | "$engine" import --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' --change 'ENV SSL_CERT_DIR=/etc/ssl/certs' --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' - "$image"
echo "made $image"
