# shellcheck shell=bash
# WAN emulation helpers, sourced by scripts/seed-test, scripts/testnet-local and scripts/wan/wan-check
# after scripts/lib/dilithion.sh (the nodes themselves are that library's: dl_node_configure NAME
# DATADIR HOST places a node in HOST's namespace).
#
# Netns mode (root): one network namespace per emulated host, each with a tun device `wan0`
# addressed 10.134.0.<index+1>/24 and its own loopback; scripts/wan/wanlink (C, built on demand
# into .build-wan/) attaches to every tun and delivers each packet to the destination host after
# that pair's one-way delay. Nothing else is reachable from these namespaces.
# Proxy mode (fallback): hosts are ports on 127.0.0.1; scripts/wan/delay-proxy.py delays the bytes
# of each directed connection (the TCP connect round trip is hidden).
#
# The caller owns the trap: `trap wan_cleanup EXIT` (and INT/TERM) right after wan_init.

WAN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WAN_SUBNET_PREFIX="10.134.0"
WAN_NS_PREFIX="dlwan"
WAN_MODE=""
WAN_TAG=""
WAN_WORK=""
WAN_HOSTS=()          # names, index = host number
declare -A WAN_ADDRESS=()  # optional: NAME -> its tun address (set before wan_add_host), else 10.134.0.<index+1>
WAN_PREFIX_LENGTH="${WAN_PREFIX_LENGTH:-24}"  # prefix of the tun addresses (one /24, or e.g. 8 with WAN_ADDRESS)
WAN_LINK_PID=""
WAN_PROXY_PID=""
WAN_EXTRA_PIDS=()     # background processes the caller registered through wan_track_pid
WAN_PROXY_MAPPINGS=() # proxy mode: delay-proxy arguments collected by wan_proxy_add
declare -A WAN_PROXY_PORT=()  # proxy mode: "FROM>TO" -> local port of the delayed path

wan_log() { printf '%s\n' "$*" >&2; }

# wan_init MODE  (MODE: netns | proxy | auto). Sets WAN_MODE and WAN_WORK (a fresh temp dir).
wan_init() {
    local wanted="$1"
    WAN_TAG="$WAN_NS_PREFIX-$$"
    WAN_WORK="$(mktemp -d "${TMPDIR:-/tmp}/dilithion-wan.XXXXXX")"
    wan_remove_stale_namespaces
    case "$wanted" in
        netns) if ! wan_netns_available; then wan_log "network namespaces are not available here (root, ip, /dev/net/tun needed)"; return 1; fi
               WAN_MODE=netns ;;
        proxy) WAN_MODE=proxy ;;
        auto) if wan_netns_available; then WAN_MODE=netns; else WAN_MODE=proxy; fi ;;
        *) wan_log "wan_init: unknown mode $wanted"; return 1 ;;
    esac
}

wan_netns_available() {
    [[ $(id -u) -eq 0 ]] && command -v ip >/dev/null 2>&1 && [[ -c /dev/net/tun ]] || return 1
    local probe="$WAN_NS_PREFIX-$$-probe"
    ip netns add "$probe" 2>/dev/null || return 1
    local ok=0
    ip -n "$probe" tuntap add dev wan0 mode tun 2>/dev/null || ok=1
    ip netns del "$probe" 2>/dev/null || true
    return "$ok"
}

# Namespaces of runs that died without cleaning up (kill -9): ours are named dlwan-<pid>-<host>.
wan_remove_stale_namespaces() {
    command -v ip >/dev/null 2>&1 || return 0
    local name pid
    while read -r name _; do
        [[ "$name" =~ ^${WAN_NS_PREFIX}-([0-9]+)- ]] || continue
        pid="${BASH_REMATCH[1]}"
        if ! kill -0 "$pid" 2>/dev/null; then ip netns del "$name" 2>/dev/null || true; fi
    done < <(ip netns list 2>/dev/null || true)
}

# wan_build: compile the forwarder when it is missing or older than its source; prints its path.
wan_build() {
    local build_dir="${WAN_BUILD_DIR:-$WAN_ROOT/.build-wan}"
    local source="$WAN_ROOT/scripts/wan/wanlink.c" binary="$build_dir/wanlink"
    if [[ ! -x "$binary" || "$source" -nt "$binary" ]]; then
        mkdir -p "$build_dir"
        gcc -O2 -Wall -Wextra -Werror -o "$binary.tmp" "$source"
        mv "$binary.tmp" "$binary"
    fi
    printf '%s\n' "$binary"
}

wan_ns() { printf '%s-%s\n' "$WAN_TAG" "$1"; }

# wan_index NAME: the host number of NAME.
wan_index() {
    local i
    for i in "${!WAN_HOSTS[@]}"; do [[ "${WAN_HOSTS[$i]}" == "$1" ]] && { printf '%s\n' "$i"; return 0; }; done
    wan_log "wan_index: unknown host $1"; return 1
}

# wan_addr NAME: the address other hosts use to reach NAME (netns mode): WAN_ADDRESS[NAME] if set.
wan_addr() {
    if [[ -n "${WAN_ADDRESS[$1]:-}" ]]; then printf '%s\n' "${WAN_ADDRESS[$1]}"; return 0; fi
    local i; i="$(wan_index "$1")"; printf '%s.%s\n' "$WAN_SUBNET_PREFIX" "$((i + 1))"
}

# wan_add_host NAME: netns mode creates the namespace and its tun device; proxy mode only records it.
wan_add_host() {
    local name="$1"
    WAN_HOSTS+=("$name")
    [[ "$WAN_MODE" == netns ]] || return 0
    local ns addr
    ns="$(wan_ns "$name")"; addr="$(wan_addr "$name")"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 >/dev/null 2>&1 || true
    # WAN_TCP_BUFFER_MAX (bytes): the most TCP autotuning may give one socket in this namespace
    # (both directions). Linux defaults the send side to 4 MiB, which caps one connection at
    # 4 MiB per round trip (~17 MB/s at 230 ms): raise it to study a long fat link.
    if [[ -n "${WAN_TCP_BUFFER_MAX:-}" ]]; then
        ip netns exec "$ns" sysctl -qw "net.ipv4.tcp_wmem=4096 16384 $WAN_TCP_BUFFER_MAX" \
            "net.ipv4.tcp_rmem=4096 131072 $WAN_TCP_BUFFER_MAX" >/dev/null
    fi
    ip -n "$ns" tuntap add dev wan0 mode tun
    ip -n "$ns" link set wan0 mtu "${WAN_MTU:-1500}" txqueuelen 10000 up
    ip -n "$ns" addr add "$addr/$WAN_PREFIX_LENGTH" dev wan0
}

# wan_exec NAME CMD...: run CMD inside NAME's namespace (netns mode) or directly (proxy mode).
wan_exec() {
    local name="$1"; shift
    if [[ "$WAN_MODE" == netns ]]; then ip netns exec "$(wan_ns "$name")" "$@"; else "$@"; fi
}

# wan_spawn NAME CMD...: like wan_exec but in the background; WAN_SPAWNED_PID is the command's own
# pid (ip netns exec execs it), so signals reach the command, not a subshell. Output: the caller's.
wan_spawn() {
    local name="$1"; shift
    if [[ "$WAN_MODE" == netns ]]; then ip netns exec "$(wan_ns "$name")" "$@" & else "$@" & fi
    WAN_SPAWNED_PID=$!
    wan_track_pid "$WAN_SPAWNED_PID"
}

# wan_track_pid PID: killed (TERM, then KILL after 10 s) by wan_cleanup.
wan_track_pid() { WAN_EXTRA_PIDS+=("$1"); }

# wan_wait_file PATH SECONDS WHAT PID: bounded wait for a ready file written by process PID.
wan_wait_file() {
    local path="$1" seconds="$2" what="$3" pid="$4" waited=0
    while [[ ! -s "$path" ]]; do
        if ! kill -0 "$pid" 2>/dev/null; then wan_log "$what exited before it was ready"; return 1; fi
        if (( waited >= seconds * 10 )); then wan_log "$what not ready after ${seconds}s"; return 1; fi
        sleep 0.1; waited=$((waited + 1))
    done
}

# wan_start_link DEFAULT_ONE_WAY_MS [I:J:MS ...] : starts the forwarder over every host added so far.
# Extra wanlink options may come from WAN_LINK_OPTIONS (e.g. "--jitter 2 --loss 0.1 --rate 100").
wan_start_link() {
    local delay="$1"; shift
    [[ "$WAN_MODE" == netns ]] || return 0
    local binary args=() name pair
    binary="$(wan_build)"
    args+=(--delay "$delay" --ready-file "$WAN_WORK/wanlink.ready")
    for pair in "$@"; do args+=(--pair "$pair"); done
    # shellcheck disable=SC2206 # word splitting of the option string is intended
    [[ -n "${WAN_LINK_OPTIONS:-}" ]] && args+=(${WAN_LINK_OPTIONS})
    for name in "${WAN_HOSTS[@]}"; do args+=("$(wan_addr "$name")@/var/run/netns/$(wan_ns "$name")"); done
    "$binary" "${args[@]}" 2>"$WAN_WORK/wanlink.log" &
    WAN_LINK_PID=$!
    wan_wait_file "$WAN_WORK/wanlink.ready" 10 wanlink "$WAN_LINK_PID" || { cat "$WAN_WORK/wanlink.log" >&2; return 1; }
}

# wan_stop_link: stop the forwarder (to start it again with other delays).
wan_stop_link() {
    [[ -n "$WAN_LINK_PID" ]] || return 0
    wan_stop_pid "$WAN_LINK_PID"
    WAN_LINK_PID=""
    rm -f "$WAN_WORK/wanlink.ready"
    [[ -f "$WAN_WORK/wanlink.log" ]] && mv "$WAN_WORK/wanlink.log" "$WAN_WORK/wanlink.previous.log"
    return 0
}

# wan_reload_link: the forwarder re-reads its --matrix file (given through WAN_LINK_OPTIONS), so a
# caller cuts or heals links by rewriting that file; packets already queued are kept.
wan_reload_link() {
    [[ -n "$WAN_LINK_PID" ]] || return 0
    kill -HUP "$WAN_LINK_PID"
}

# wan_link_stats: the forwarder's counters and timing lateness (one line).
wan_link_stats() {
    [[ -n "$WAN_LINK_PID" ]] || return 0
    kill -USR1 "$WAN_LINK_PID" 2>/dev/null || return 0
    local tries=0
    while (( tries < 20 )); do
        grep -q 'stats' "$WAN_WORK/wanlink.log" 2>/dev/null && break
        sleep 0.05; tries=$((tries + 1))
    done
    grep 'stats' "$WAN_WORK/wanlink.log" | tail -n 1 | sed 's/^wanlink: stats //'
}

# wan_start_proxy LISTEN:TARGET:MS ... : proxy mode only.
wan_start_proxy() {
    "${PYTHON:-python3}" "$WAN_ROOT/scripts/wan/delay-proxy.py" --ready-file "$WAN_WORK/proxy.ready" "$@" \
        2>"$WAN_WORK/proxy.log" &
    WAN_PROXY_PID=$!
    wan_wait_file "$WAN_WORK/proxy.ready" 10 delay-proxy "$WAN_PROXY_PID" || { cat "$WAN_WORK/proxy.log" >&2; return 1; }
}

# wan_start_echo NAME: netns mode; a TCP echo server on NAME's tun address, port 7, for
# wan_measure_rtt. Call it from the main shell (not inside $(...)) so that cleanup knows its pid.
wan_start_echo() {
    [[ "$WAN_MODE" == netns ]] || return 0
    local ready="$WAN_WORK/echo-$1.ready"
    [[ -s "$ready" ]] && return 0
    wan_spawn "$1" "${PYTHON:-python3}" "$WAN_ROOT/scripts/wan/rtt-probe.py" serve "$(wan_addr "$1")" 7 \
        --ready-file "$ready" >/dev/null 2>&1
    wan_wait_file "$ready" 10 "echo server in $1" "$WAN_SPAWNED_PID"
}

# wan_measure_rtt FROM TO [COUNT] [HOST PORT]: TCP connect and 1-byte echo round trips from FROM to
# TO; prints the rtt-probe line. Netns mode: TO's echo server (wan_start_echo TO first). Proxy mode:
# pass HOST PORT of a delay-proxy mapping in front of an echo server the caller started.
wan_measure_rtt() {
    local from="$1" to="$2" count="${3:-5}" host="${4:-}" port="${5:-}"
    if [[ "$WAN_MODE" == netns ]]; then host="$(wan_addr "$to")"; port=7; fi
    wan_exec "$from" "${PYTHON:-python3}" "$WAN_ROOT/scripts/wan/rtt-probe.py" measure "$host" "$port" --count "$count"
}

# wan_proxy_add FROM TO ONE_WAY_MS: proxy mode; a delayed path for node FROM dialing node TO
# (dl_node_configure'd), started later by `wan_start_proxy "${WAN_PROXY_MAPPINGS[@]}"`.
wan_proxy_add() {
    local port; port="$(wan_free_port)"
    WAN_PROXY_PORT["$1>$2"]=$port
    WAN_PROXY_MAPPINGS+=("$port:${DL_PORT[$2]}:$3")
}

# wan_endpoint FROM TO: HOST:PORT that node FROM dials to reach node TO over the emulated link.
wan_endpoint() {
    if [[ "$WAN_MODE" == netns ]]; then printf '%s:%s\n' "${DL_BIND[$2]}" "${DL_PORT[$2]}"
    else printf '127.0.0.1:%s\n' "${WAN_PROXY_PORT["$1>$2"]}"; fi
}

# wan_free_port: a free TCP port on 127.0.0.1 (proxy mode): scripts/lib/dilithion.sh's.
wan_free_port() { dl_free_port; }

wan_stop_pid() {
    local pid="$1" waited=0
    kill -TERM "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null && (( waited < 100 )); do sleep 0.1; waited=$((waited + 1)); done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# wan_cleanup [--keep-work]: stop everything we started, delete our namespaces and the temp dir.
wan_cleanup() {
    local pid name
    for pid in "${WAN_EXTRA_PIDS[@]}"; do wan_stop_pid "$pid"; done
    WAN_EXTRA_PIDS=()
    [[ -n "$WAN_LINK_PID" ]] && wan_stop_pid "$WAN_LINK_PID"
    [[ -n "$WAN_PROXY_PID" ]] && wan_stop_pid "$WAN_PROXY_PID"
    WAN_LINK_PID=""; WAN_PROXY_PID=""
    if [[ "$WAN_MODE" == netns ]]; then
        for name in "${WAN_HOSTS[@]}"; do
            # Anything still running inside (processes the caller did not register) goes too.
            for pid in $(ip netns pids "$(wan_ns "$name")" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
            ip netns del "$(wan_ns "$name")" 2>/dev/null || true
        done
    fi
    WAN_HOSTS=()
    if [[ "${1:-}" != --keep-work && -n "$WAN_WORK" && -d "$WAN_WORK" ]]; then rm -rf "$WAN_WORK"; fi
}
