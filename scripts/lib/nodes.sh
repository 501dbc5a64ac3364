# shellcheck shell=bash
# Compatibility only: the old node_* / NODE_* names of the WAN scripts as thin aliases of the one
# script library, scripts/lib/dilithion.sh (sourced here) with scripts/lib/wan.sh (source that
# first, as before). seed-test and testnet-local now use the library directly; a script still on
# these names moves by: node_configure NAME DIR → dl_node_configure NAME DIR NAME; node_start,
# node_cli, node_value, node_wait_rpc → dl_node_start, dl_cli, dl_value, dl_wait_rpc; node_stop →
# dl_node_stop then DL_STATUS; node_proxy_add, node_endpoint → wan_proxy_add, wan_endpoint;
# NODE_X → DL_X; node_build → dl_build dilithion-node dilithion-cli; and dl_init (+ dl_on_exit
# wan_cleanup) after sourcing.
DL_NAME="${DL_NAME:-$(basename "$0")}"
# shellcheck source=scripts/lib/dilithion.sh
source "$(dirname "${BASH_SOURCE[0]}")/dilithion.sh"
DL_BIN_DIR="${NODE_BIN_DIR:-$DL_ROOT/.build/release}"
unset NODE_BIN_DIR
NODE_P2P_PORT=$DL_NETNS_P2P_PORT NODE_RPC_PORT=$DL_NETNS_RPC_PORT
declare -n NODE_BIN_DIR=DL_BIN_DIR NODE_DATADIR=DL_DATADIR NODE_PORT=DL_PORT NODE_RPCPORT=DL_RPCPORT NODE_BIND=DL_BIND \
    NODE_PID=DL_PID NODE_LOG=DL_LOG NODE_PROXY_PORT=WAN_PROXY_PORT NODE_PROXY_MAPPINGS=WAN_PROXY_MAPPINGS
# The old scripts do not call dl_init but trap wan_cleanup: the ports handed out are remembered in
# a file of their own, which wan_cleanup now removes too.
if [[ -z "$DL_PORTS_FILE" ]]; then
    DL_PORTS_FILE="$(mktemp "${TMPDIR:-/tmp}/dilithion-ports.XXXXXX")"
    eval "_nodes_wan_cleanup() $(declare -f wan_cleanup | tail -n +2)"
    wan_cleanup() { _nodes_wan_cleanup "$@"; rm -f "$DL_PORTS_FILE"; }
fi

node_build() {
    [[ "$DL_BIN_DIR" == "$DL_ROOT/.build/release" ]] || return 0
    DL_BIN_DIR=""
    dl_build dilithion-node dilithion-cli || { DL_BIN_DIR="$DL_ROOT/.build/release"; return 1; }
}
node_configure() { dl_node_configure "$1" "$2" "$1"; }
node_proxy_add() { wan_proxy_add "$@"; }
node_endpoint() { wan_endpoint "$@"; }
node_start() { dl_node_start "$@"; }
node_cli() { dl_cli "$@"; }
node_value() { dl_value "$@"; }
node_wait_rpc() { dl_wait_rpc "$@"; }
# node_stop NAME: as before, returns the node's exit status.
node_stop() {
    dl_node_stop "$1" 15
    [[ "$DL_STATUS" == 0 || "$DL_STATUS" == none ]] && return 0
    [[ "$DL_STATUS" =~ ^[0-9]+$ ]] && return "$DL_STATUS"
    return 1
}

# node_argv NAME [extra node options...]: the command line of NAME's node, one argument per line
# (for a caller that restarts the node itself, as scripts/netsim does).
node_argv() { dl_node_command "$@"; printf '%s\n' "${DL_COMMAND[@]}"; }
