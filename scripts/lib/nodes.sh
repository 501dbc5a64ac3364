# shellcheck shell=bash
# Running regtest dilithion-node instances on top of scripts/lib/wan.sh (source that first).
# Every node runs with `--network regtest`; peers are only ever the addresses of namespaces this
# script created (netns mode) or 127.0.0.1 (proxy mode).

NODE_BIN_DIR="${NODE_BIN_DIR:-$WAN_ROOT/.build/release}"
NODE_P2P_PORT=18744       # netns mode: every host has its own stack, so all use the same ports
NODE_RPC_PORT=18745
declare -A NODE_DATADIR=() NODE_PORT=() NODE_RPCPORT=() NODE_BIND=() NODE_PID=() NODE_LOG=()
declare -A NODE_PROXY_PORT=()   # proxy mode: "FROM>TO" -> local port of the delayed path
NODE_PROXY_MAPPINGS=()          # proxy mode: delay-proxy arguments collected by node_proxy_add

# node_build: release build of the node and the CLI (skipped when NODE_BIN_DIR was given).
node_build() {
    if [[ "$NODE_BIN_DIR" != "$WAN_ROOT/.build/release" ]]; then return 0; fi
    if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then export PATH="/opt/swift/usr/bin:$PATH"; fi
    # One product per invocation: SwiftPM builds only the last of several --product options.
    local product log
    log="$(mktemp "${TMPDIR:-/tmp}/dilithion-build.XXXXXX")"
    for product in dilithion-node dilithion-cli; do
        if (cd "$WAN_ROOT" && swift build -c release --product "$product" >"$log" 2>&1); then
            tail -n 1 "$log"
        else
            tail -n 40 "$log" >&2; wan_log "swift build --product $product failed (full log: $log)"; return 1
        fi
    done
    rm -f "$log"
    [[ -x "$NODE_BIN_DIR/dilithion-node" && -x "$NODE_BIN_DIR/dilithion-cli" ]] || {
        wan_log "build did not produce $NODE_BIN_DIR/dilithion-node and dilithion-cli"; return 1; }
}

# node_configure NAME DATADIR: addresses and ports of NAME (the host must be added to wan.sh already).
node_configure() {
    local name="$1"
    NODE_DATADIR[$name]="$2"
    NODE_LOG[$name]="$2.log"
    if [[ "$WAN_MODE" == netns ]]; then
        NODE_BIND[$name]="$(wan_addr "$name")"; NODE_PORT[$name]=$NODE_P2P_PORT; NODE_RPCPORT[$name]=$NODE_RPC_PORT
    else
        NODE_BIND[$name]=127.0.0.1; NODE_PORT[$name]="$(wan_free_port)"; NODE_RPCPORT[$name]="$(wan_free_port)"
    fi
}

# node_proxy_add FROM TO ONE_WAY_MS: proxy mode; a delayed path for FROM dialing TO, started later
# by `wan_start_proxy "${NODE_PROXY_MAPPINGS[@]}"`.
node_proxy_add() {
    local port; port="$(wan_free_port)"
    NODE_PROXY_PORT["$1>$2"]=$port
    NODE_PROXY_MAPPINGS+=("$port:${NODE_PORT[$2]}:$3")
}

# node_endpoint FROM TO: HOST:PORT that FROM dials to reach TO over the emulated link.
node_endpoint() {
    if [[ "$WAN_MODE" == netns ]]; then printf '%s:%s\n' "${NODE_BIND[$2]}" "${NODE_PORT[$2]}"
    else printf '127.0.0.1:%s\n' "${NODE_PROXY_PORT["$1>$2"]}"; fi
}

# node_argv NAME [extra node options...]: the command line of NAME's node, one argument per line
# (for a caller that restarts the node itself).
node_argv() {
    local name="$1"; shift
    printf '%s\n' "$NODE_BIN_DIR/dilithion-node" --network regtest --datadir "${NODE_DATADIR[$name]}" \
        --bind "${NODE_BIND[$name]}" --port "${NODE_PORT[$name]}" --rpcport "${NODE_RPCPORT[$name]}" \
        --printtoconsole "$@"
}

# node_start NAME [extra node options...]: starts NAME in the background, output to its log.
node_start() {
    local name="$1"; shift
    local argv=()
    mapfile -t argv < <(node_argv "$name" "$@")
    wan_spawn "$name" "${argv[@]}" >>"${NODE_LOG[$name]}" 2>&1
    NODE_PID[$name]=$WAN_SPAWNED_PID
}

# node_cli NAME METHOD [PARAMS...]: one RPC call; prints the result.
node_cli() {
    local name="$1"; shift
    wan_exec "$name" "$NODE_BIN_DIR/dilithion-cli" --network regtest --datadir "${NODE_DATADIR[$name]}" \
        --rpcport "${NODE_RPCPORT[$name]}" "$@" 2>/dev/null
}

# node_value NAME METHOD [PARAMS...]: a scalar result without JSON quotes.
node_value() { node_cli "$@" | tr -d '"[:space:]'; }

# node_wait_rpc NAME SECONDS: bounded wait until NAME answers getblockcount.
node_wait_rpc() {
    local name="$1" seconds="$2" waited=0
    until node_cli "$name" getblockcount >/dev/null; do
        if ! kill -0 "${NODE_PID[$name]}" 2>/dev/null; then
            wan_log "$name exited during start-up; last log lines:"; tail -n 20 "${NODE_LOG[$name]}" >&2; return 1; fi
        if (( waited >= seconds * 5 )); then wan_log "$name: RPC not answering after ${seconds}s"; return 1; fi
        sleep 0.2; waited=$((waited + 1))
    done
}

# node_stop NAME: SIGTERM, bounded wait (15 s, then SIGKILL); returns the node's exit status.
node_stop() {
    local name="$1" pid="${NODE_PID[$1]:-}" waited=0 status=0
    [[ -n "$pid" ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && (( waited < 150 )); do sleep 0.1; waited=$((waited + 1)); done
    if kill -0 "$pid" 2>/dev/null; then wan_log "$name did not exit 15 s after SIGTERM; killing it"; kill -KILL "$pid" 2>/dev/null || true; fi
    wait "$pid" 2>/dev/null || status=$?
    NODE_PID[$name]=""
    return "$status"
}
