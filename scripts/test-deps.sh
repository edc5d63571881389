#!/usr/bin/env bash
# Installs the Debian packages the tests start as real parts (see ../README.md, "Tests").
# Idempotent and quiet when everything is already there.
set -euo pipefail
packages=(libsecret-1-dev gnome-keyring dbus dbus-x11 libsecret-tools openssh-server openssh-client
  ansible-core git chromium xvfb xauth xclip fonts-liberation)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
echo "Installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
