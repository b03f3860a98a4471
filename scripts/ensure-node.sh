#!/usr/bin/env bash
# Provides the Node.js major the project runs on (.nvmrc, Node 24 LTS) when the system Node is older.
#
# Users install Node 24 LTS from their usual source and never need this. It exists for machines whose only system
# Node is older (CI, these development machines): it takes the official binary from the npm registry package
# `node-<platform>-<arch>@<major>` (binary + C headers), caches it under ~/.cache/crm-connector/node-v<version>, and puts
# it first on PATH. `npm` and `npx` are the system npm's scripts (`#!/usr/bin/env node`), so they run on that Node too.
# `npm_config_nodedir` points node-gyp at the package's headers, so native modules (better-sqlite3) build offline
# against exactly this Node. When the system Node already has the wanted major (or newer), it changes nothing.
#
#   source scripts/ensure-node.sh         # this shell now runs Node 24 (.ci/run does this first)
#   eval "$(bash scripts/ensure-node.sh)"  # the same, for an interactive shell
#   bash scripts/ensure-node.sh npm ci     # run one command with Node 24
#
# Environment: CRM_CONNECTOR_NODE_CACHE overrides the cache folder.

_ensure_node_main() {
  local root want have cache dir pkg os arch tmp tgz got
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  want="$(tr -d ' \nv' <"$root/.nvmrc")"
  want="${want%%.*}"
  have="$(node --version 2>/dev/null || true)"
  have="${have#v}"
  if [ -n "$have" ] && [ "${have%%.*}" -ge "$want" ]; then
    return 0
  fi

  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) echo "ensure-node: no registry build of Node for $(uname -s); install Node $want LTS" >&2 && return 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "ensure-node: no registry build of Node for $(uname -m); install Node $want LTS" >&2 && return 1 ;;
  esac
  pkg="node-$os-$arch"
  cache="${CRM_CONNECTOR_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/crm-connector}"

  # Newest cached build of the wanted major whose binary runs and says so.
  dir=""
  for d in $(ls -d "$cache/node-v$want".* 2>/dev/null | sort -V -r); do
    got="$("$d/bin/node" --version 2>/dev/null || true)"
    if [ "${got%%.*}" = "v$want" ] && [ -f "$d/include/node/node.h" ]; then
      dir="$d"
      break
    fi
  done

  if [ -z "$dir" ]; then
    echo "ensure-node: system Node is ${have:+v}${have:-missing}; fetching $pkg@$want from the npm registry" >&2
    mkdir -p "$cache"
    tmp="$(mktemp -d "$cache/.fetch.XXXXXX")"
    # npm pack checks the tarball against the registry's integrity hash.
    if ! tgz="$(cd "$tmp" && npm pack "$pkg@$want" --silent 2>/dev/null | tail -n 1)" || [ ! -f "$tmp/$tgz" ]; then
      rm -rf "$tmp"
      echo "ensure-node: could not fetch $pkg@$want from the npm registry" >&2
      return 1
    fi
    tar -xzf "$tmp/$tgz" -C "$tmp"
    got="$("$tmp/package/bin/node" --version 2>/dev/null || true)"
    if [ "${got%%.*}" != "v$want" ] || [ ! -f "$tmp/package/include/node/node.h" ]; then
      rm -rf "$tmp"
      echo "ensure-node: $pkg@$want is not a runnable Node $want with headers (got '${got}')" >&2
      return 1
    fi
    dir="$cache/node-$got"
    rm -rf "$dir"
    mv "$tmp/package" "$dir"
    rm -rf "$tmp"
  fi

  export PATH="$dir/bin:$PATH"
  export npm_config_nodedir="$dir"
  _ensure_node_dir="$dir"
  hash -r 2>/dev/null || true
  return 0
}

if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  # Sourced: change this shell.
  if _ensure_node_main; then unset -f _ensure_node_main; unset _ensure_node_dir; return 0; fi
  unset -f _ensure_node_main
  return 1
fi

set -euo pipefail
_ensure_node_main
if [ $# -gt 0 ]; then
  exec "$@"
fi
# No command: print what changed, for `eval` (nothing when the system Node is already new enough).
if [ -n "${_ensure_node_dir:-}" ]; then
  printf 'export PATH=%q\nexport npm_config_nodedir=%q\n' "$PATH" "$npm_config_nodedir"
fi
