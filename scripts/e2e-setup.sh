#!/usr/bin/env bash
# Installs what the e2e suite (test/e2e) needs on a Debian 12 machine, as root:
# Debian's chromium/ripgrep plus the toolchain code-server's native modules compile with, and
# code-server 4.100.3 (= VS Code 1.100.3) in its own folder. Idempotent: re-running skips what
# is already there. Prints the code-server binary path on its last line.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3
CACHE_DIR="${STAGELENS_CACHE:-/var/cache/stagelens}"
INSTALL_DIR="$CACHE_DIR/code-server"
BIN="$INSTALL_DIR/node_modules/.bin/code-server"

log() { printf 'e2e-setup: %s\n' "$*" >&2; }

# --- Debian packages -------------------------------------------------------------------------
wanted=(chromium ripgrep libkrb5-dev python3 make g++)
missing=()
for pkg in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
else
  log "Debian packages present"
fi

command -v node >/dev/null || { log "node (>= 20) is required"; exit 1; }
command -v npm >/dev/null || { log "npm is required"; exit 1; }

# --- code-server -------------------------------------------------------------------------------
installed_version() {
  [[ -f "$INSTALL_DIR/node_modules/code-server/package.json" ]] || return 1
  node -p "require('$INSTALL_DIR/node_modules/code-server/package.json').version"
}

if [[ -x "$BIN" && "$(installed_version || true)" == "$CODE_SERVER_VERSION" ]] \
   && "$BIN" --version >/dev/null 2>&1; then
  log "code-server $CODE_SERVER_VERSION already installed in $INSTALL_DIR"
else
  # @vscode/ripgrep's postinstall downloads rg from GitHub, which is unreachable here; it first
  # looks in this cache, so seed it with Debian's rg in the archive layout it expects.
  rg_cache="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
  rg_tar="$rg_cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
  if ! tar -tzf "$rg_tar" 2>/dev/null | grep -qx rg; then
    log "seeding ripgrep cache $rg_tar with $(command -v rg)"
    mkdir -p "$rg_cache"
    # The postinstall unpacks the archive into its bin/ folder and expects `rg` at the top.
    stage="$(mktemp -d)"
    cp "$(command -v rg)" "$stage/rg"
    tar -czf "$rg_tar" -C "$stage" rg
    rm -rf "$stage"
  fi

  log "installing code-server $CODE_SERVER_VERSION into $INSTALL_DIR (compiles native modules; takes minutes)"
  mkdir -p "$INSTALL_DIR"
  if [[ ! -f "$INSTALL_DIR/package.json" ]]; then
    printf '{ "name": "stagelens-code-server", "private": true }\n' >"$INSTALL_DIR/package.json"
  fi
  # code-server's postinstall runs a nested `npm install` for VS Code's own native modules, so
  # the settings go through the environment where the nested npm sees them too. npm >= 11.x
  # skips dependency install scripts unless allowed; code-server cannot work without them.
  # Older npm ignores the unknown allow-scripts setting.
  (
    cd "$INSTALL_DIR"
    # code-server's postinstall.sh refuses to run as root unless it sees this variable, even on
    # npm versions that no longer know the setting (they only warn about it).
    export npm_config_unsafe_perm=true npm_config_yes=true
    export npm_config_dangerously_allow_all_scripts=true
    export npm_config_foreground_scripts=true
    export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
    npm install --no-save "code-server@$CODE_SERVER_VERSION"
  )
  "$BIN" --version >/dev/null || { log "code-server installed but does not start"; exit 1; }
fi

log "code-server: $("$BIN" --version | head -n1)"
echo "$BIN"
