# shellcheck shell=bash
# Shared helpers of scripts/reliability/*: regtest nodes on 127.0.0.1 only, a private work directory,
# and cleanup of every process they started (by pid) when the script exits or is interrupted.
#
# The caller sets REL_NAME (for messages), sources this file, calls rel_init, and then uses:
#   rel_node_configure NAME DATADIR                 ports (127.0.0.1) and log file of NAME
#   rel_node_start NAME [node options...]           start dilithion-node (regtest, 127.0.0.1)
#   rel_cli NAME METHOD [PARAMS...]                 one RPC call
#   rel_wait_rpc NAME SECONDS                       bounded wait until RPC answers (after "running")
#   rel_node_stop NAME                              SIGTERM, bounded wait; REL_STATUS = exit status
#   rel_node_kill NAME                              SIGKILL
# Binaries: $DILITHION_BIN_DIR (or --bin-dir), else .build/release after `swift build -c release`.

REL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
REL_BIN_DIR="${DILITHION_BIN_DIR:-}"
REL_WORK=""
REL_KEEP_WORK=0
REL_PIDS=()                                  # every background process started, for cleanup
declare -A REL_PID=() REL_PORT=() REL_RPCPORT=() REL_DATADIR=() REL_LOG=() REL_METRICS=()

rel_log() { printf '%s\n' "$*" >&2; }
rel_heading() { printf '\n== %s\n' "$*"; }
rel_now() { printf '%s\n' "$EPOCHREALTIME"; }
# Fixed-point arithmetic for figures (awk's default %.6g would round epoch times).
rel_calc() { awk "BEGIN { v = ($1); if (v == int(v)) printf \"%.0f\", v; else printf \"%.3f\", v }"; }

# rel_init: work directory and traps. Call once, before starting anything.
rel_init() {
    REL_WORK="$(mktemp -d "${TMPDIR:-/tmp}/dilithion-${REL_NAME:-reliability}.XXXXXX")"
    trap rel_cleanup EXIT
    trap 'echo; rel_log "${REL_NAME:-reliability}: interrupted"; exit 130' INT TERM
}

# rel_cleanup: SIGKILL-free where possible: SIGTERM each process we started, then SIGKILL stragglers.
rel_cleanup() {
    local pid waited
    for pid in "${REL_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${REL_PIDS[@]}"; do
        waited=0
        while kill -0 "$pid" 2>/dev/null && (( waited < 100 )); do sleep 0.1; waited=$((waited + 1)); done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    REL_PIDS=()
    if [[ -n "$REL_WORK" && -d "$REL_WORK" ]]; then
        if (( REL_KEEP_WORK )); then rel_log "work directory kept: $REL_WORK"; else rm -rf "$REL_WORK"; fi
    fi
}

# rel_track PID: remember a background process for cleanup.
rel_track() { REL_PIDS+=("$1"); }

# rel_build PRODUCT...: release build into .build unless a binary directory was given.
rel_build() {
    if [[ -n "$REL_BIN_DIR" ]]; then return 0; fi
    if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then export PATH="/opt/swift/usr/bin:$PATH"; fi
    local product log
    log="$(mktemp "${TMPDIR:-/tmp}/dilithion-build.XXXXXX")"
    for product in "$@"; do  # one product per invocation: SwiftPM builds only the last --product
        if ! (cd "$REL_ROOT" && swift build -c release --product "$product" >"$log" 2>&1); then
            tail -n 40 "$log" >&2; rel_log "swift build --product $product failed (log: $log)"; return 1
        fi
    done
    rm -f "$log"
    REL_BIN_DIR="$REL_ROOT/.build/release"
}

# rel_require_bins NAME...: every named binary exists in REL_BIN_DIR.
rel_require_bins() {
    local name
    for name in "$@"; do
        [[ -x "$REL_BIN_DIR/$name" ]] || { rel_log "no $name in $REL_BIN_DIR (build first or pass --bin-dir)"; return 1; }
    done
}

# rel_free_port: a free TCP port on 127.0.0.1.
rel_free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# rel_node_configure NAME DATADIR: ports and log file of NAME (kept across restarts).
rel_node_configure() {
    local name="$1"
    REL_DATADIR[$name]="$2"
    REL_LOG[$name]="$REL_WORK/$name.log"
    REL_PORT[$name]="$(rel_free_port)"
    REL_RPCPORT[$name]="$(rel_free_port)"
    REL_METRICS[$name]=""
}

# rel_node_command NAME [options...]: REL_COMMAND = the full dilithion-node command line of NAME.
REL_COMMAND=()
rel_node_command() {
    local name="$1"; shift
    REL_COMMAND=("$REL_BIN_DIR/dilithion-node" --network regtest --datadir "${REL_DATADIR[$name]}"
        --bind 127.0.0.1 --port "${REL_PORT[$name]}" --rpcport "${REL_RPCPORT[$name]}" --printtoconsole "$@")
}

# rel_node_start NAME [options...]: starts NAME in the background (log appended to REL_LOG[NAME]).
rel_node_start() {
    local name="$1"; shift
    printf -- '--- start %s\n' "$(date -u +%H:%M:%S.%N)" >>"${REL_LOG[$name]}"
    rel_node_command "$name" "$@"
    "${REL_COMMAND[@]}" >>"${REL_LOG[$name]}" 2>&1 &
    REL_PID[$name]=$!
    rel_track "$!"
}

# rel_cli NAME METHOD [PARAMS...]: one RPC call; prints the result (nothing on error, status 1).
rel_cli() {
    local name="$1"; shift
    "$REL_BIN_DIR/dilithion-cli" --network regtest --datadir "${REL_DATADIR[$name]}" \
        --rpcport "${REL_RPCPORT[$name]}" "$@" 2>/dev/null
}

# rel_value NAME METHOD [PARAMS...]: a scalar result without JSON quotes.
rel_value() { rel_cli "$@" | tr -d '"[:space:]'; }

# rel_wait_rpc NAME SECONDS: bounded wait until NAME answers getblockcount.
rel_wait_rpc() {
    local name="$1" seconds="$2" waited=0
    until rel_cli "$name" getblockcount >/dev/null; do
        if ! kill -0 "${REL_PID[$name]}" 2>/dev/null; then
            rel_log "$name exited during start-up; last log lines:"; tail -n 20 "${REL_LOG[$name]}" >&2; return 1; fi
        if (( waited >= seconds * 10 )); then rel_log "$name: RPC not answering after ${seconds}s"; return 1; fi
        sleep 0.1; waited=$((waited + 1))
    done
}

# rel_wait_exit PID SECONDS: bounded wait for a child to exit; sets REL_STATUS to its exit status,
# or "timeout". Not to be called in $(...): a subshell cannot reap the script's children.
REL_STATUS=""
rel_wait_exit() {
    local pid="$1" seconds="$2" waited=0
    REL_STATUS=0
    while kill -0 "$pid" 2>/dev/null && (( waited < seconds * 20 )); do sleep 0.05; waited=$((waited + 1)); done
    if kill -0 "$pid" 2>/dev/null; then REL_STATUS=timeout; return 0; fi
    wait "$pid" 2>/dev/null || REL_STATUS=$?
}

# rel_node_stop NAME [SECONDS]: SIGTERM and a bounded wait (then SIGKILL); REL_STATUS = exit status.
rel_node_stop() {
    local name="$1" seconds="${2:-70}" pid="${REL_PID[$1]:-}"
    REL_STATUS=none
    [[ -n "$pid" ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    rel_wait_exit "$pid" "$seconds"
    if [[ "$REL_STATUS" == timeout ]]; then kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    REL_PID[$name]=""
}

# rel_node_kill NAME: SIGKILL and reap.
rel_node_kill() {
    local name="$1" pid="${REL_PID[$1]:-}"
    [[ -n "$pid" ]] || return 0
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    REL_PID[$name]=""
}

# rel_generate DATADIR BLOCKS BLOCKSIZE: an offline regtest chain; prints the generator's JSON.
rel_generate() {
    "$REL_BIN_DIR/dilithion-node" generate --datadir "$1" --blocks "$2" --blocksize "$3"
}

# rel_json FIELD: a top-level field of the JSON on stdin.
rel_json() { python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$1"; }

# rel_rss_kb PID / rel_fds PID: resident set (kB) and open descriptors of a process.
rel_rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
rel_fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# rel_metrics NAME: NAME's Prometheus text (REL_METRICS[NAME] = the port given to --metrics-port).
rel_metrics() { curl -s --max-time 2 "http://127.0.0.1:${REL_METRICS[$1]}/metrics" 2>/dev/null || true; }

# rel_counter_delta FAMILY BEFORE AFTER: the series of counter FAMILY (e.g. dilithion_disconnects_total)
# that grew between two rel_metrics texts, as "label xN,label xM" (label = the first label's value),
# or "none".
rel_counter_delta() {
    awk -v family="$1" '
        function label(series) { sub(/^[^"]*"/, "", series); sub(/".*$/, "", series); return series }
        FNR == 1 { file++ }
        index($1, family "{") == 1 { if (file == 1) before[label($1)] = $2; else after[label($1)] = $2 }
        END {
            for (key in after) if (after[key] - before[key] > 0) { printf "%s%s x%d", sep, key, after[key] - before[key]; sep = "," ; any = 1 }
            if (!any) printf "none"
            print ""
        }' <(printf '%s\n' "$2") <(printf '%s\n' "$3")
}

# rel_wait_fds PID FDS SECONDS: bounded wait until PID has at most FDS open descriptors; prints the
# count at the end of the wait.
rel_wait_fds() {
    local pid="$1" target="$2" seconds="$3" waited=0 count
    count="$(rel_fds "$pid")"
    while (( count > target && waited < seconds * 10 )); do sleep 0.1; waited=$((waited + 1)); count="$(rel_fds "$pid")"; done
    printf '%s\n' "$count"
}
