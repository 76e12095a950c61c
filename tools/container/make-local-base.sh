#!/usr/bin/env bash
# Makes a local Node 20 base image from this machine's own node, npm and shell, for building runner/Dockerfile
# where no container registry is reachable: tools/container/make-local-base.sh [image-name]
# (Then: podman build --build-arg BASE_IMAGE=localhost/node20-local -f runner/Dockerfile .)
set -euo pipefail
image=${1:-localhost/node20-local}
engine=$(command -v podman || command -v docker)
rootfs=$(mktemp -d)
# mktemp makes the directory 0700; it becomes the image's "/", which every user must be able to enter (rootless
# podman keeps that mode and uid 1000 then finds no node).
chmod 0755 "$rootfs"
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
# glibc's companion libraries that ldd does not list for node but that are loaded at run time (dlopen by native
# addons and the resolver): without librt.so.1 the runner crashed with a misleading npm message.
libc_dir=$(dirname "$(ldd /usr/bin/node | grep -o '/[^ ]*libc\.so\.6' | head -1)")
for lib in librt.so.1 libpthread.so.0 libdl.so.2 libm.so.6 libresolv.so.2 libnss_files.so.2 libnss_dns.so.2 libutil.so.1; do
  if [ -e "$libc_dir/$lib" ]; then
    mkdir -p "$rootfs$libc_dir"
    cp -Ln "$libc_dir/$lib" "$rootfs$libc_dir/$lib"
  fi
done
# The base must be complete: every library node and these need, checked before the image is made.
for lib in librt.so.1 libc.so.6 libstdc++.so.6; do
  if ! find "$rootfs" -name "$lib" | grep -q .; then echo "make-local-base: $lib is missing from the base (looked next to libc in $libc_dir)" >&2; exit 1; fi
done
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
