#!/usr/bin/env bash
# Runs a command on Node 24, the runtime the action runs on (runs.using: node24), wherever the
# tests run. When `node` on PATH is older, installs npm's node-<os>-<arch> package at the
# version pinned below into a cache outside the repository (once), and runs the command with
# that node first on PATH, so `npm ci && npm test` on a machine with Node 20 still tests on 24.
#
#   scripts/node24.sh <command> [args...]   run the command on Node 24
#   scripts/node24.sh --bin-dir             print the directory of a Node 24 `node` (for PATH)
#
# HAKO_ONESHOT_NODE24_DIR overrides the cache directory.
set -euo pipefail

# Exact, so every machine tests on the same Node; raise it with the runners' Node 24.
VERSION=24.22.3

current_major() {
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

bin_dir() {
  if [ "$(current_major)" -ge 24 ]; then
    dirname "$(command -v node)"
    return
  fi
  local os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *)
      echo "scripts/node24.sh: no Node 24 package for $(uname -s); install Node 24 from https://nodejs.org and run again" >&2
      return 1
      ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *)
      echo "scripts/node24.sh: no Node 24 package for $(uname -m); install Node 24 from https://nodejs.org and run again" >&2
      return 1
      ;;
  esac
  local package="node-$os-$arch"
  local cache="${HAKO_ONESHOT_NODE24_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/hako-oneshot-action/node-$VERSION}"
  local bin="$cache/node_modules/$package/bin"
  if [ ! -x "$bin/node" ]; then
    echo "scripts/node24.sh: node $(node -v 2>/dev/null || echo missing) is older than 24; installing $package@$VERSION into $cache" >&2
    mkdir -p "$cache"
    if ! npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$cache" "$package@$VERSION" >&2; then
      echo "scripts/node24.sh: could not install $package@$VERSION from the npm registry; install Node 24 from https://nodejs.org and run again" >&2
      return 1
    fi
  fi
  if [ "$("$bin/node" -p 'process.versions.node')" != "$VERSION" ]; then
    echo "scripts/node24.sh: $bin/node is not Node $VERSION; remove $cache and run again" >&2
    return 1
  fi
  echo "$bin"
}

if [ "${1:-}" = --bin-dir ]; then
  bin_dir
  exit
fi
if [ "$#" -eq 0 ]; then
  echo "usage: scripts/node24.sh <command> [args...] | --bin-dir" >&2
  exit 2
fi
dir="$(bin_dir)"
export PATH="$dir:$PATH"
exec "$@"
