# shellcheck shell=bash
# A regtest seed node serving seed attestation on 127.0.0.1, on top of scripts/reliability/lib.sh
# (source that first and call rel_init): its own key named as a regtest seed key, the test ASN table
# and datacenter list from attest_client.py, the public listener and /metrics on free ports.
#
#   attest_prepare NAME [OTHER_KEYS]   key, seed key list (OTHER_KEYS random keys first, then ours),
#                                      ASN table and datacenter list in the work directory
#   attest_start NAME [options...]     start NAME with --attestbind and the files above
#   attest_py SCRIPT [args...]         python3 with scripts/lib on the module path
declare -A ATTEST_PORT=() ATTEST_PUBKEY=() ATTEST_SEED_ID=()

attest_py() { PYTHONPATH="$REL_ROOT/scripts/lib${PYTHONPATH:+:$PYTHONPATH}" python3 "$@"; }

attest_prepare() {
    local name="$1" others="${2:-0}" datadir="${REL_DATADIR[$1]}" key_json i
    mkdir -p "$datadir"
    key_json="$("$REL_BIN_DIR/dilithion-node" attestkey --network regtest --datadir "$datadir")"
    ATTEST_PUBKEY[$name]="$(printf '%s' "$key_json" | rel_json public_key)"
    : >"$REL_WORK/$name.seeds"
    for ((i = 0; i < others; i++)); do  # stand-ins for the other seeds (random bytes of key length)
        python3 -c 'import os; print(os.urandom(1952).hex())' >>"$REL_WORK/$name.seeds"
    done
    printf '%s  # %s\n' "${ATTEST_PUBKEY[$name]}" "$name" >>"$REL_WORK/$name.seeds"
    ATTEST_SEED_ID[$name]=$others
    attest_py -c 'import attest_client, sys; open(sys.argv[1], "w").write(attest_client.ASN_TABLE); open(sys.argv[2], "w").write(attest_client.DATACENTER_LIST)' \
        "$REL_WORK/$name.asn.tsv" "$REL_WORK/$name.datacenter.txt"
}

attest_start() {
    local name="$1"; shift
    ATTEST_PORT[$name]="$(rel_free_port)"
    REL_METRICS[$name]="$(rel_free_port)"
    rel_node_start "$name" --attestbind "127.0.0.1:${ATTEST_PORT[$name]}" --asn-db "$REL_WORK/$name.asn.tsv" \
        --datacenter-asns "$REL_WORK/$name.datacenter.txt" --attest-seed-keys "$REL_WORK/$name.seeds" \
        --metrics-port "${REL_METRICS[$name]}" "$@"
}
