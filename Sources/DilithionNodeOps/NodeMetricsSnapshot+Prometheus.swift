import DilithionNode
import DilithionOps

/// The `/metrics` page for a node snapshot.
extension NodeMetricsSnapshot {
    /// Upper bounds of the handshake-duration histogram, in seconds: sub-millisecond on loopback up
    /// to the 60 s handshake timeout, with WAN round trips (0.1-1 s) in between.
    public static let handshakeBuckets: [Double] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]

    /// Prometheus text (format 0.0.4) of every metric in the snapshot.
    public var prometheusText: String {
        var out = PrometheusText()
        out.family("dilithion_peers", type: .gauge, help: "Connected peers by direction and connection state.")
        var established: Int?
        for key in peersByDirectionAndState.keys.sorted() {
            let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
            if parts.count == 2 {
                out.sample("dilithion_peers", labels: [("direction", parts[0]), ("state", parts[1])],
                           value: peersByDirectionAndState[key]!)
            } else if key == "established" {
                established = peersByDirectionAndState[key]
            }
        }
        if let established {
            out.single("dilithion_peers_handshaked", type: .gauge, help: "Peers whose version handshake completed.",
                       value: Double(established))
        }
        out.labelled("dilithion_peer_bytes_received", type: .gauge,
                     help: "Bytes received from the currently connected peers, by message command.",
                     label: "command", values: bytesReceivedByCommand)
        out.labelled("dilithion_peer_bytes_sent", type: .gauge,
                     help: "Bytes sent to the currently connected peers, by message command.",
                     label: "command", values: bytesSentByCommand)
        out.labelled("dilithion_peer_messages_received", type: .gauge,
                     help: "Messages received from the currently connected peers, by command.",
                     label: "command", values: messagesReceivedByCommand)
        out.labelled("dilithion_peer_messages_sent", type: .gauge,
                     help: "Messages sent to the currently connected peers, by command.",
                     label: "command", values: messagesSentByCommand)
        out.labelled("dilithion_bytes_received_total", type: .counter,
                     help: "Bytes received from all peers since the start, departed peers included, by command.",
                     label: "command", values: bytesReceivedTotalByCommand)
        out.labelled("dilithion_bytes_sent_total", type: .counter,
                     help: "Bytes sent to all peers since the start, departed peers included, by command.",
                     label: "command", values: bytesSentTotalByCommand)
        out.labelled("dilithion_messages_received_total", type: .counter,
                     help: "Messages received from all peers since the start, by command.",
                     label: "command", values: messagesReceivedTotalByCommand)
        out.labelled("dilithion_messages_sent_total", type: .counter,
                     help: "Messages sent to all peers since the start, by command.",
                     label: "command", values: messagesSentTotalByCommand)
        out.histogram("dilithion_handshake_duration_seconds",
                      help: "Time from TCP connect to a completed version/verack handshake.",
                      buckets: Self.handshakeBuckets, observations: handshakeSeconds)
        out.labelled("dilithion_disconnects_total", type: .counter, help: "Peer disconnections by reason.",
                     label: "reason", values: disconnectsByReason)
        out.labelled("dilithion_misbehaviour_total", type: .counter, help: "Misbehaviour penalties by reason.",
                     label: "reason", values: misbehaviourByReason)
        out.labelled("dilithion_frame_errors_total", type: .counter,
                     help: "Frames the decoder refused, by kind (bad-command is split by the rule the field broke).",
                     label: "kind", values: frameErrorsByKind)
        out.labelled("dilithion_messages_ignored_total", type: .counter, help: "Messages ignored by policy, by reason.",
                     label: "reason", values: ignoredByReason)
        out.labelled("dilithion_accept_failures_total", type: .counter,
                     help: "Failed accepts (descriptors or memory ran out; the listener paused and retried), by reason.",
                     label: "reason", values: acceptFailuresByReason)
        out.single("dilithion_bans", type: .gauge, help: "Addresses currently banned.", value: Double(bans))
        out.single("dilithion_inbox_bytes", type: .gauge, help: "Bytes received and queued for the dispatcher, all peers.",
                   value: Double(inboxBytes))
        out.single("dilithion_outbox_bytes", type: .gauge, help: "Bytes queued for sending, all peers.",
                   value: Double(outboxBytes))
        out.single("dilithion_dispatcher_queue_depth", type: .gauge, help: "Messages waiting for the dispatcher, all peers.",
                   value: Double(dispatcherQueueDepth))
        out.single("dilithion_tip_height", type: .gauge, help: "Height of the active tip (best block with every block below it stored).", value: Double(tipHeight))
        out.single("dilithion_headers_height", type: .gauge, help: "Height of the best known header.",
                   value: Double(headersHeight))
        out.single("dilithion_ibd_progress_ratio", type: .gauge, help: "Active tip height over the height headers sync heads for (1 = synced).",
                   value: ibdProgress)
        out.single("dilithion_blocks_per_second", type: .gauge, help: "Blocks stored per second, recent average.",
                   value: blocksPerSecond)
        out.single("dilithion_store_bytes", type: .gauge, help: "Size of the block store on disk.", value: Double(storeBytes))
        out.single("dilithion_store_blocks", type: .gauge, help: "Blocks in the block store.", value: Double(storeBlocks))
        out.single("dilithion_uptime_seconds", type: .gauge, help: "Seconds since the node started.",
                   value: Double(uptimeSeconds))
        out.single("dilithion_reorgs_total", type: .counter,
                   help: "Switches of branch of the active chain (reorgs, VDF lottery replacements included).",
                   value: Double(reorgs))
        out.single("dilithion_reorg_disconnected_blocks_total", type: .counter,
                   help: "Blocks disconnected from the active chain by reorgs.", value: Double(reorgDisconnectedBlocks))
        out.single("dilithion_reorg_depth_max", type: .gauge, help: "The most blocks one reorg disconnected since the start.",
                   value: Double(deepestReorg))
        out.single("dilithion_header_tree_headers", type: .gauge, help: "Headers in memory, all branches.",
                   value: Double(headerTreeHeaders))
        out.single("dilithion_side_branch_headers", type: .gauge,
                   help: "Headers on neither the best header chain nor the active chain (capped).", value: Double(sideBranchHeaders))
        out.single("dilithion_headers_pruned_total", type: .counter,
                   help: "Headers pruned from memory: branches nobody delivered in time or that fell far behind.",
                   value: Double(prunedHeaders))
        out.single("dilithion_headers_evicted_total", type: .counter,
                   help: "Side-branch headers evicted at the side-branch cap (oldest unbacked branches first).",
                   value: Double(evictedHeaders))
        out.labelled("dilithion_compact_relay_events_total", type: .counter,
                     help: "Compact-block relay events (pushes, rebuilds, getblocktxn round trips and fallbacks, push-peer changes), by kind.",
                     label: "event", values: compactRelayEvents)
        out.single("dilithion_push_peers", type: .gauge, help: "Peers that asked us to push new blocks to them (BIP152 high-bandwidth).",
                   value: Double(pushPeersOut))
        out.single("dilithion_pushing_peers", type: .gauge, help: "Peers we asked to push new blocks to us.",
                   value: Double(pushPeersIn))
        if let legacyHashing {
            out.single("dilithion_legacy_hashes_total", type: .counter,
                       help: "RandomX hashes of legacy headers computed (all peers; getpeerinfo legacy_hashes per peer).",
                       value: Double(legacyHashing.hashes))
            out.single("dilithion_legacy_hashes_discarded_total", type: .counter,
                       help: "RandomX hashes whose message had already stopped when they finished.",
                       value: Double(legacyHashing.discarded))
            out.single("dilithion_legacy_hashes_avoided_total", type: .counter,
                       help: "Legacy headers answered by the replay cache, without RandomX.", value: Double(legacyHashing.avoided))
            out.single("dilithion_legacy_hash_budget_waits_total", type: .counter,
                       help: "Times a peer's legacy header hashing waited for its hashes-per-second budget.",
                       value: Double(legacyHashing.budgetWaits))
            out.single("dilithion_legacy_hash_jobs_queued", type: .gauge,
                       help: "Legacy header hashing jobs waiting for a worker.", value: Double(legacyHashing.queued))
        }
        return out.text
    }
}
