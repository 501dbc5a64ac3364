# shellcheck shell=bash
# Compatibility only: the old names of the reliability helpers (rel_*, REL_*) as thin aliases of the
# one script library, scripts/lib/dilithion.sh. Every script in this folder now sources that library
# directly; a script still on these names moves by renaming rel_X → dl_X and REL_X → DL_X
# (REL_NAME → DL_NAME, set before sourcing) and then:
#   - setting DL_METRICS[NAME] instead of passing --metrics-port (dl_node_command adds it);
#   - calling dl_free_port only after dl_init (it remembers the ports it handed out in DL_WORK);
#   - using the library's dl_disconnects, dl_peaks_sample, dl_rtt, dl_log_epoch, dl_field,
#     dl_store_tip and dl_sampler_start instead of local copies.
DL_NAME="${REL_NAME:-${DL_NAME:-reliability}}"
unset REL_NAME
# shellcheck source=scripts/lib/dilithion.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/dilithion.sh"

declare -n REL_NAME=DL_NAME REL_ROOT=DL_ROOT REL_BIN_DIR=DL_BIN_DIR REL_WORK=DL_WORK REL_KEEP_WORK=DL_KEEP_WORK \
    REL_PIDS=DL_PIDS REL_PID=DL_PID REL_PORT=DL_PORT REL_RPCPORT=DL_RPCPORT REL_DATADIR=DL_DATADIR REL_LOG=DL_LOG \
    REL_METRICS=DL_METRICS REL_STATUS=DL_STATUS REL_COMMAND=DL_COMMAND

for _rel_helper in log heading now calc init cleanup track build require_bins node_configure cli value wait_rpc \
    wait_exit node_stop node_kill generate json rss_kb fds metrics counter_delta wait_fds; do
    eval "rel_${_rel_helper}() { dl_${_rel_helper} \"\$@\"; }"
done
unset _rel_helper

# The old scripts pass --metrics-port themselves: the old names do not add it a second time.
rel_node_command() {
    local saved="${DL_METRICS[$1]:-}"
    DL_METRICS[$1]=""
    dl_node_command "$@"
    DL_METRICS[$1]="$saved"
}
rel_node_start() {
    local saved="${DL_METRICS[$1]:-}"
    DL_METRICS[$1]=""
    dl_node_start "$@"
    DL_METRICS[$1]="$saved"
}
# The old free port worked before rel_init too.
rel_free_port() {
    if [[ -n "$DL_PORTS_FILE" ]]; then dl_free_port
    else python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; fi
}
