#!/bin/sh
# Regenerate vmlinux/<arch>/vmlinux.h from the running kernel's BTF.
# CO-RE relocations make the result usable on other kernels of the same architecture.
# Usage: vmlinux/gen.sh [ARCH]   (default: this machine's, as the Makefile names it)
set -eu
arch=${1:-$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')}
dir=$(dirname "$0")/$arch
mkdir -p "$dir"
bpftool btf dump file /sys/kernel/btf/vmlinux format c >"$dir/vmlinux.h.tmp"
mv "$dir/vmlinux.h.tmp" "$dir/vmlinux.h"
echo "wrote $dir/vmlinux.h"
