#!/usr/bin/env bash
# Install the Debian packages named on the command line that are not installed yet.
# Needs root (or sudo) only when something is missing.
#
# `nodejs` and `npm` count as present when the `node` / `npm` commands exist:
# a machine with Node.js from another source (NodeSource's nodejs package
# brings its own npm and conflicts with Debian's) needs nothing more.
set -euo pipefail
missing=()
for p in "$@"; do
  case $p in
    nodejs) command -v node >/dev/null && continue ;;
    npm) command -v npm >/dev/null && continue ;;
  esac
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "error: need root to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
