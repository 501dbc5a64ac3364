/// Every size and count limit of the wire protocol, in one place, each with the reason for its value.
///
/// Values come from the protocol reference (PROTOCOL.md) §1, §3.1 and §7 (the C++ node's limits) unless the line
/// says we are deliberately stricter.
public enum Limits {
    /// Largest payload a frame header may claim (C++ `MAX_MESSAGE_SIZE`, 32 MiB). Checked on the
    /// 24-byte header, before a single payload byte is buffered.
    public static let maxMessagePayload = 32 * 1024 * 1024

    /// Size of the frame header: magic 4 ‖ command 12 ‖ length 4 ‖ checksum 4.
    public static let frameHeaderSize = 24

    /// Width of the NUL-padded command field; byte 11 must be NUL, so commands have ≤ 11 characters.
    public static let commandFieldSize = 12

    /// How far ahead of the bytes actually received the decoder may reserve memory for a large
    /// payload. A peer that claims 32 MiB and sends 10 bytes costs at most this much plus 10 bytes
    /// (and the kernel backs reserved pages only once they are written). One megabyte lets a 1 MiB
    /// block arrive into a single allocation instead of four growing copies.
    public static let decoderReserveAhead = 1024 * 1024

    /// Payloads at least this large are received straight into their own array and hashed as they
    /// arrive, instead of through the decoder's shared buffer (one copy instead of three).
    public static let decoderLargePayload = 64 * 1024

    /// `inv` / `getdata` item count (C++ `MAX_INV_SZ`).
    public static let maxInventoryItems = 50_000

    /// `addr` entry count. The C++ node accepts up to 50 000 but never sends more than 1 000
    /// (10 peers + 990 AddrMan entries); we are stricter, like Bitcoin Core's `MAX_ADDR_TO_SEND`.
    public static let maxAddresses = 1_000

    /// `headers` count per message (C++ `MAX_HEADERS`). A full batch means "ask for more".
    public static let maxHeaders = 2_000

    /// `getheaders` locator length; more is +20 on the C++ node.
    public static let maxLocatorHashes = 32

    /// `block` blob (cs(tx_count) ‖ txs) cap; a larger blob is `reject` + ban on the C++ node.
    public static let maxBlockBlob = 4 * 1024 * 1024

    /// Transaction inputs / outputs (C++ receive limit).
    public static let maxTransactionInputs = 10_000
    public static let maxTransactionOutputs = 10_000

    /// Script length (scriptSig / scriptPubKey) in a transaction (C++ receive limit).
    public static let maxScriptSize = 20_000

    /// `version` user agent (C++ var_str limit in the user-agent context).
    public static let maxUserAgentLength = 256

    /// `reject`: the rejected command (≤ 12) and the reason (≤ 200), per PROTOCOL.md §3.10.
    public static let maxRejectCommandLength = 12
    public static let maxRejectReasonLength = 200

    /// Compact blocks: prefilled transactions and short ids (C++ bans beyond these).
    public static let maxCompactPrefilled = 10_000
    public static let maxCompactShortIDs = 100_000

    /// `getblocktxn` index count (C++ bans beyond it).
    public static let maxBlockTxnIndexes = 50_000

    /// `blocktxn` transaction count (C++ bans beyond it).
    public static let maxBlockTxnTransactions = 100_000

    /// Transactions in one block blob: the smallest parseable transaction is 10 bytes (version,
    /// two empty counts, locktime), so a 4 MiB blob cannot hold more.
    public static let maxBlockTransactions = maxBlockBlob / minimumTransactionSize

    /// The smallest parseable transaction: version 4 ‖ cs(0) ‖ cs(0) ‖ locktime 4.
    public static let minimumTransactionSize = 10

    /// DNA `dnaires` data length inside the payload (PROTOCOL.md §3.11).
    public static let maxDNAResponseData = 4_096
}
