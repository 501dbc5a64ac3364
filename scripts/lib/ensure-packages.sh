#!/usr/bin/env bash
# Installs the Debian packages the build needs when they are missing. Runs apt-get update at most
# once. Without root it only reports what is missing.
set -euo pipefail

required=(libevent-dev librandomx-dev libsqlite3-dev libssl-dev pkg-config)
missing=()
for package in "${required[@]}" "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
if [[ ${#missing[@]} -eq 0 ]]; then exit 0; fi

if [[ $(id -u) -ne 0 ]]; then
    echo "missing system packages: ${missing[*]} (run as root, or: sudo apt-get install -y ${missing[*]})" >&2
    exit 1
fi
echo "== installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
