# shellcheck shell=bash
# The script library: everything scripts/ do with nodes, in one place. Sourced by scripts/test,
# scripts/fuzz, scripts/bench*, scripts/seed-test, scripts/testnet-local, scripts/demo and every
# script in scripts/reliability/ (scripts/lib/wan.sh adds the WAN emulation on top).
#
#   toolchain     dl_find_swift, dl_build PRODUCT..., dl_require_bins NAME...
#   work & exit   dl_init, dl_on_exit CMD, dl_track PID, dl_stop_pid PID [S], dl_wait_exit PID S
#   output        dl_log, dl_heading, dl_now, dl_calc EXPR, dl_json FIELD, dl_field LINE NAME
#   ports         dl_free_port
#   nodes         dl_node_configure NAME DATADIR [HOST], dl_node_command, dl_node_start, dl_cli,
#                 dl_value, dl_wait_rpc, dl_node_stop, dl_node_kill, dl_generate, dl_store_tip
#   sampling      dl_rss_kb PID, dl_fds PID, dl_cpu_ns PID, dl_wait_fds, dl_metrics NAME,
#                 dl_metric NAME SERIES, dl_disconnects NAME, dl_counter_delta, dl_peaks_sample NAME,
#                 dl_sampler_start NAME FILE [S] / dl_sampler_stop, dl_rtt FILE FIELD, dl_log_epoch TS
#
# Every node runs `--network regtest` and binds 127.0.0.1, or (with HOST, scripts/lib/wan.sh in
# netns mode) the tun address of a namespace the calling script created. Nothing here dials any
# other address. Per-node state lives in associative arrays indexed by the node's NAME:
# DL_DATADIR, DL_LOG (DATADIR.log), DL_BIND, DL_PORT, DL_RPCPORT, DL_HOST, DL_PID, DL_METRICS
# (the --metrics-port to pass, empty for none).
#
# Older scripts written against scripts/reliability/lib.sh (rel_*) or scripts/lib/nodes.sh (node_*)
# keep working through those files, which are now thin aliases of this one.

DL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DL_NAME="${DL_NAME:-dilithion}"                 # the calling script, for messages and the work dir
DL_BIN_DIR="${DL_BIN_DIR:-${DILITHION_BIN_DIR:-}}"  # dilithion-node & co; empty: built by dl_build
DL_SCRATCH="${DL_SCRATCH:-}"                    # swift build --scratch-path for dl_build (default .build)
DL_WORK=""
DL_KEEP_WORK=0
DL_PIDS=()                                      # background processes to stop on exit
DL_EXIT_HOOKS=()                                # commands run first by dl_cleanup
DL_STATUS=""                                    # exit status found by dl_wait_exit / dl_node_stop
DL_COMMAND=()                                   # set by dl_node_command
DL_NODE_WRAPPER=()                              # prefix for every node command (taskset, valgrind, ...)
DL_PEAK_RSS=0 DL_PEAK_FDS=0                     # maxima kept by dl_peaks_sample
DL_SAMPLER_PID=""
declare -A DL_DATADIR=() DL_LOG=() DL_BIND=() DL_PORT=() DL_RPCPORT=() DL_HOST=() DL_PID=() DL_METRICS=()
# Ports handed out by this run, in a file of DL_WORK so that `$(dl_free_port)` (a subshell)
# remembers them too.
DL_PORTS_FILE=""
DL_NETNS_P2P_PORT=18744 DL_NETNS_RPC_PORT=18745  # in a namespace every node has its own stack: same ports

# ---------------------------------------------------------------------------------------------------
# Output

dl_log() { printf '%s\n' "$*" >&2; }
dl_heading() { printf '\n== %s\n' "$*"; }
dl_now() { printf '%s\n' "$EPOCHREALTIME"; }
# dl_calc EXPR [DECIMALS]: fixed-point arithmetic for figures, DECIMALS (default 3) places unless
# the value is whole (awk's default %.6g would round epoch times).
dl_calc() { awk -v places="${2:-3}" "BEGIN { v = ($1); if (v == int(v)) printf \"%.0f\", v; else printf \"%.\" places \"f\", v }"; }
# dl_json FIELD: a top-level field of the JSON object on stdin (empty when absent or null).
dl_json() { python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$1"; }
# dl_field LINE NAME [DEFAULT]: the value of NAME=VALUE in a line of space-separated pairs
# (DEFAULT, empty unless given, when absent).
dl_field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" -v d="${3:-}" '$1 == k {print $2; found=1} END {if (!found) print d}'; }

# ---------------------------------------------------------------------------------------------------
# Toolchain

# dl_find_swift: puts swift on PATH (it may live in /opt/swift/usr/bin, where the README installs it).
dl_find_swift() {
    command -v swift >/dev/null 2>&1 && return 0
    if [[ -x /opt/swift/usr/bin/swift ]]; then export PATH="/opt/swift/usr/bin:$PATH"; return 0; fi
    dl_log "$DL_NAME: swift not found (expected on PATH or at /opt/swift/usr/bin)"
    return 1
}

# dl_build PRODUCT...: release build of each product (one invocation each: SwiftPM builds only the
# last of several --product options) unless DL_BIN_DIR was given; sets DL_BIN_DIR.
dl_build() {
    [[ -n "$DL_BIN_DIR" ]] && return 0
    dl_find_swift || return 1
    local product log scratch=()
    [[ -n "$DL_SCRATCH" ]] && scratch=(--scratch-path "$DL_SCRATCH")
    log="$(mktemp "${TMPDIR:-/tmp}/dilithion-build.XXXXXX")"
    for product in "$@"; do
        if ! (cd "$DL_ROOT" && swift build -c release "${scratch[@]}" --product "$product" >"$log" 2>&1); then
            tail -n 40 "$log" >&2; dl_log "swift build --product $product failed (log: $log)"; return 1
        fi
    done
    rm -f "$log"
    DL_BIN_DIR="$(cd "$DL_ROOT" && swift build -c release "${scratch[@]}" --show-bin-path)"
}

# dl_require_bins NAME...: every named binary exists in DL_BIN_DIR.
dl_require_bins() {
    local name
    for name in "$@"; do
        [[ -x "$DL_BIN_DIR/$name" ]] || { dl_log "no $name in ${DL_BIN_DIR:-(no binary directory)} (build first or pass --bin-dir)"; return 1; }
    done
}

# ---------------------------------------------------------------------------------------------------
# Work directory, background processes, exit

# dl_init: a fresh work directory (DL_WORK) and the traps that stop everything on exit, Ctrl-C or
# SIGTERM. Call once, before starting anything.
dl_init() {
    DL_WORK="$(mktemp -d "${TMPDIR:-/tmp}/dilithion-${DL_NAME}.XXXXXX")"
    DL_PORTS_FILE="$DL_WORK/.ports-handed-out"
    : >"$DL_PORTS_FILE"
    trap dl_cleanup EXIT
    trap 'echo; dl_log "$DL_NAME: interrupted"; exit 130' INT TERM
}

# dl_on_exit CMD...: run CMD (one word list) when dl_cleanup runs, before the processes are stopped.
dl_on_exit() { DL_EXIT_HOOKS+=("$*"); }

# dl_track PID: stop this background process on exit.
dl_track() { DL_PIDS+=("$1"); }

# dl_stop_pid PID [SECONDS]: SIGTERM, a bounded wait (default 10 s), then SIGKILL; reaps it.
dl_stop_pid() {
    local pid="$1" seconds="${2:-10}" waited=0
    kill -TERM "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    while kill -0 "$pid" 2>/dev/null && (( waited < seconds * 10 )); do sleep 0.1; waited=$((waited + 1)); done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# dl_wait_exit PID SECONDS: bounded wait for a child to exit; DL_STATUS = its exit status, or
# "timeout". Not inside $(...): a subshell cannot reap the script's children.
dl_wait_exit() {
    local pid="$1" seconds="$2" waited=0
    DL_STATUS=0
    while kill -0 "$pid" 2>/dev/null && (( waited < seconds * 20 )); do sleep 0.05; waited=$((waited + 1)); done
    if kill -0 "$pid" 2>/dev/null; then DL_STATUS=timeout; return 0; fi
    wait "$pid" 2>/dev/null || DL_STATUS=$?
}

# dl_cleanup: the exit hooks, then SIGTERM to every tracked process (SIGKILL after 10 s), then the
# work directory (kept with DL_KEEP_WORK=1).
dl_cleanup() {
    local hook pid
    for hook in "${DL_EXIT_HOOKS[@]}"; do eval "$hook" || true; done
    DL_EXIT_HOOKS=()
    for pid in "${DL_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${DL_PIDS[@]}"; do dl_stop_pid "$pid"; done
    DL_PIDS=()
    if [[ -n "$DL_WORK" && -d "$DL_WORK" ]]; then
        if (( DL_KEEP_WORK )); then dl_log "work directory kept: $DL_WORK"; else rm -rf "$DL_WORK"; fi
    fi
}

# ---------------------------------------------------------------------------------------------------
# Ports

# dl_free_port: a TCP port for a listener of this script: below the ephemeral range (so that no
# client socket, of this run or another, can be holding it when the listener binds), not in use
# now (ss), and not handed out before in this run.
dl_free_port() {
    local low port tries=0
    [[ -n "$DL_PORTS_FILE" ]] || { dl_log "dl_free_port: call dl_init first"; return 1; }
    low="$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)"
    while (( tries < 1000 )); do
        tries=$((tries + 1))
        port=$((20000 + RANDOM % (low - 20000)))
        grep -qx "$port" "$DL_PORTS_FILE" 2>/dev/null && continue
        if command -v ss >/dev/null 2>&1; then
            ss -Htan 2>/dev/null | awk '{print $4}' | grep -q ":$port\$" && continue
        fi
        printf '%s\n' "$port" >>"$DL_PORTS_FILE"
        printf '%s\n' "$port"
        return 0
    done
    dl_log "$DL_NAME: no free port found"
    return 1
}

# ---------------------------------------------------------------------------------------------------
# Nodes

# dl_node_configure NAME DATADIR [HOST]: where NAME runs and listens; its log is DATADIR.log. With
# HOST and scripts/lib/wan.sh in netns mode: inside HOST's namespace on its tun address, with the
# network's own ports (each namespace has its own stack). Otherwise 127.0.0.1 and free ports.
dl_node_configure() {
    local name="$1" datadir="$2" host="${3:-}"
    DL_DATADIR[$name]="$datadir"
    DL_LOG[$name]="$datadir.log"
    DL_METRICS[$name]="${DL_METRICS[$name]:-}"
    if [[ -n "$host" && "${WAN_MODE:-}" == netns ]]; then
        DL_HOST[$name]="$host"; DL_BIND[$name]="$(wan_addr "$host")"; DL_PORT[$name]=$DL_NETNS_P2P_PORT; DL_RPCPORT[$name]=$DL_NETNS_RPC_PORT
    else
        DL_HOST[$name]=""; DL_BIND[$name]=127.0.0.1
        DL_PORT[$name]="$(dl_free_port)"
        DL_RPCPORT[$name]="$(dl_free_port)"
    fi
}

# dl_node_command NAME [options...]: DL_COMMAND = NAME's full dilithion-node command line (without
# DL_NODE_WRAPPER), for scripts that run it their own way (valgrind, a signal helper).
dl_node_command() {
    local name="$1"; shift
    DL_COMMAND=("$DL_BIN_DIR/dilithion-node" --network regtest --datadir "${DL_DATADIR[$name]}"
        --bind "${DL_BIND[$name]}" --port "${DL_PORT[$name]}" --rpcport "${DL_RPCPORT[$name]}" --printtoconsole)
    [[ -n "${DL_METRICS[$name]:-}" ]] && DL_COMMAND+=(--metrics-port "${DL_METRICS[$name]}")
    DL_COMMAND+=("$@")
}

# dl_node_start NAME [options...]: starts NAME in the background, output appended to its log after a
# "--- start" line; DL_PID[NAME] is the node's own pid (signals reach the node, not a shell).
dl_node_start() {
    local name="$1"; shift
    mkdir -p "$(dirname "${DL_LOG[$name]}")"
    printf -- '--- start %s\n' "$(date -u +%H:%M:%S.%N)" >>"${DL_LOG[$name]}"
    dl_node_command "$name" "$@"
    if [[ -n "${DL_HOST[$name]:-}" ]]; then
        wan_spawn "${DL_HOST[$name]}" "${DL_NODE_WRAPPER[@]}" "${DL_COMMAND[@]}" >>"${DL_LOG[$name]}" 2>&1
        DL_PID[$name]=$WAN_SPAWNED_PID
    else
        "${DL_NODE_WRAPPER[@]}" "${DL_COMMAND[@]}" >>"${DL_LOG[$name]}" 2>&1 &
        DL_PID[$name]=$!
    fi
    dl_track "${DL_PID[$name]}"
}

# dl_cli NAME METHOD [PARAMS...]: one RPC call to NAME; prints the result (nothing and status 1 on
# an error).
dl_cli() {
    local name="$1"; shift
    local command=("$DL_BIN_DIR/dilithion-cli" --network regtest --datadir "${DL_DATADIR[$name]}"
        --rpcport "${DL_RPCPORT[$name]}" "$@")
    if [[ -n "${DL_HOST[$name]:-}" ]]; then wan_exec "${DL_HOST[$name]}" "${command[@]}" 2>/dev/null
    else "${command[@]}" 2>/dev/null; fi
}

# dl_value NAME METHOD [PARAMS...]: a scalar result without JSON quotes.
dl_value() { dl_cli "$@" | tr -d '"[:space:]'; }

# dl_wait_rpc NAME SECONDS: bounded wait until NAME answers getblockcount (it does once "running").
dl_wait_rpc() {
    local name="$1" seconds="$2" waited=0
    until dl_cli "$name" getblockcount >/dev/null; do
        if ! kill -0 "${DL_PID[$name]}" 2>/dev/null; then
            dl_log "$name exited during start-up; last log lines:"; tail -n 20 "${DL_LOG[$name]}" >&2; return 1; fi
        if (( waited >= seconds * 10 )); then dl_log "$name: RPC not answering after ${seconds}s"; return 1; fi
        sleep 0.1; waited=$((waited + 1))
    done
}

# dl_node_stop NAME [SECONDS]: SIGTERM and a bounded wait (default 70 s: the node's own shutdown
# deadline is 60 s), then SIGKILL; DL_STATUS = the exit status ("timeout" if it had to be killed,
# "none" if NAME was not running). Returns 0: callers check DL_STATUS.
dl_node_stop() {
    local name="$1" seconds="${2:-70}" pid="${DL_PID[$1]:-}"
    DL_STATUS=none
    [[ -n "$pid" ]] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    dl_wait_exit "$pid" "$seconds"
    if [[ "$DL_STATUS" == timeout ]]; then kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    DL_PID[$name]=""
}

# dl_node_kill NAME: SIGKILL and reap.
dl_node_kill() {
    local name="$1" pid="${DL_PID[$1]:-}"
    [[ -n "$pid" ]] || return 0
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    DL_PID[$name]=""
}

# dl_generate DATADIR BLOCKS BLOCKSIZE [generate options...]: an offline regtest chain; prints the
# generator's JSON line (tip_height, tip_hash, tip_time).
dl_generate() {
    local datadir="$1" blocks="$2" size="$3"; shift 3
    "$DL_BIN_DIR/dilithion-node" generate --network regtest --datadir "$datadir" --blocks "$blocks" --blocksize "$size" "$@"
}

# dl_store_tip NAME: the tip of the last start's "store opened" line in NAME's log (empty until it
# is logged).
dl_store_tip() {
    awk '/^--- start / {tip=""} /store opened/ {if (match($0, / tip=[0-9]+/)) tip=substr($0, RSTART+5, RLENGTH-5)} END {print tip}' "${DL_LOG[$1]}"
}

# ---------------------------------------------------------------------------------------------------
# Sampling: /proc and /metrics

# dl_rss_kb PID / dl_fds PID: resident set (kB) and open descriptors of a process (0 once it is gone).
dl_rss_kb() { awk '/^VmRSS:/ {print $2; found=1} END {if (!found) print 0}' "/proc/$1/status" 2>/dev/null || echo 0; }
dl_fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# dl_cpu_ns PID: CPU time of all the process's threads in ns (the first field of each thread's
# schedstat; /proc/PID/stat's utime+stime count 10 ms ticks, too coarse for short windows).
dl_cpu_ns() {
    local first
    first="$(ls "/proc/$1/task" 2>/dev/null | head -n 1)"
    if [[ -n "$first" && -r "/proc/$1/task/$first/schedstat" ]]; then
        cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f", s }'
    else
        awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f", ($14 + $15) * 1e9 / hz }' "/proc/$1/stat"
    fi
}

# dl_wait_fds PID FDS SECONDS: bounded wait until PID has at most FDS open descriptors; prints the
# count at the end of the wait.
dl_wait_fds() {
    local pid="$1" target="$2" seconds="$3" waited=0 count
    count="$(dl_fds "$pid")"
    while (( count > target && waited < seconds * 10 )); do sleep 0.1; waited=$((waited + 1)); count="$(dl_fds "$pid")"; done
    printf '%s\n' "$count"
}

# dl_peaks_sample NAME: raises DL_PEAK_RSS / DL_PEAK_FDS to NAME's current RSS (kB) and fds.
dl_peaks_sample() {
    local pid="${DL_PID[$1]:-}" rss fds
    [[ -n "$pid" ]] || return 0
    rss="$(dl_rss_kb "$pid")" fds="$(dl_fds "$pid")"
    (( rss > DL_PEAK_RSS )) && DL_PEAK_RSS=$rss
    (( fds > DL_PEAK_FDS )) && DL_PEAK_FDS=$fds
    return 0
}

# dl_metrics NAME: NAME's Prometheus text (DL_METRICS[NAME] = the port given to --metrics-port).
dl_metrics() {
    local command=(curl -s --max-time 5 "http://${DL_BIND[$1]}:${DL_METRICS[$1]}/metrics")
    if [[ -n "${DL_HOST[$1]:-}" ]]; then wan_exec "${DL_HOST[$1]}" "${command[@]}" 2>/dev/null || true
    else "${command[@]}" 2>/dev/null || true; fi
}

# dl_metric NAME SERIES: the value of one series (e.g. dilithion_inbox_bytes, or
# 'dilithion_peer_messages_received{command="ping"}'); empty when absent.
dl_metric() { dl_metrics "$1" | awk -v k="$2" '$1 == k {print $2; exit}'; }

# dl_disconnects NAME: NAME's disconnects so far, by reason, as "reason=count ...".
dl_disconnects() {
    dl_metrics "$1" | awk -F'[{}"= ]+' '/^dilithion_disconnects_total\{/ {printf "%s%s=%s", sep, $3, $NF; sep=" "}'
}

# dl_counter_delta FAMILY BEFORE AFTER: the series of counter FAMILY (e.g. dilithion_disconnects_total)
# that grew between two dl_metrics texts, as "label xN,label xM" (label = the first label's value),
# or "none".
dl_counter_delta() {
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

# dl_sampler_start NAME FILE [SECONDS]: in the background, one CSV line per interval (default 0.1 s)
# for NAME: t,rss_kb,fds,inbox_bytes,outbox_bytes,queue_depth,ping_received (the /metrics gauges
# need DL_METRICS[NAME]); "dead" once the process is gone. dl_sampler_stop ends it.
dl_sampler_start() {
    local name="$1" file="$2" interval="${3:-0.1}"
    (
        trap 'exit 0' TERM INT
        pid="${DL_PID[$name]}" start="$EPOCHREALTIME"
        echo "t,rss_kb,fds,inbox_bytes,outbox_bytes,queue_depth,ping_received"
        while :; do
            t="$(dl_calc "$EPOCHREALTIME - $start")"
            if ! kill -0 "$pid" 2>/dev/null; then echo "$t,dead,dead,,,,"; exit 0; fi
            gauges="$(dl_metrics "$name" | awk '
                $1 == "dilithion_inbox_bytes" {v[1] = $2} $1 == "dilithion_outbox_bytes" {v[2] = $2}
                $1 == "dilithion_dispatcher_queue_depth" {v[3] = $2}
                $1 == "dilithion_peer_messages_received{command=\"ping\"}" {v[4] = $2}
                END {printf "%s,%s,%s,%s", v[1], v[2], v[3], v[4]}')"
            echo "$t,$(dl_rss_kb "$pid"),$(dl_fds "$pid"),$gauges"
            sleep "$interval"
        done
    ) >"$file" 2>/dev/null &
    DL_SAMPLER_PID=$!
    dl_track "$DL_SAMPLER_PID"
}
dl_sampler_stop() { [[ -n "$DL_SAMPLER_PID" ]] && dl_stop_pid "$DL_SAMPLER_PID" 5; DL_SAMPLER_PID=""; }

# dl_rtt FILE FIELD: a round-trip figure (e.g. rtt_ms_p50) from the first JSON line of a fakepeer
# report, with two decimals; "-" when absent.
dl_rtt() { head -n 1 "$1" | dl_json "$2" | awk '{ if ($1 == "") print "-"; else printf "%.2f", $1 }'; }

# dl_log_epoch TIMESTAMP: a node log line's UTC timestamp (2026-01-01T12:00:00.123Z) as epoch seconds.
dl_log_epoch() {
    python3 -c 'import sys,datetime; print("%.3f" % datetime.datetime.strptime(sys.argv[1][:23], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc).timestamp())' "$1"
}
