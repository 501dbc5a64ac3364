/// `version`: the first message on every connection (PROTOCOL.md §3.2).
///
/// Layout: version i32 ‖ services u64 ‖ timestamp i64 ‖ addr_recv(26) ‖ addr_from(26) ‖ nonce u64 ‖
/// var_str user_agent ‖ start_height i32 ‖ relay u8 ‖ genesis hash32 ‖ (extension bytes, ignored).
public struct VersionMessage: Hashable, Sendable {
    public var protocolVersion: Int32
    public var services: UInt64
    public var timestamp: Int64
    public var receiver: NetAddress
    public var sender: NetAddress
    public var nonce: UInt64
    /// The user agent's raw bytes (peers may send anything; use ``userAgent`` to display it).
    public var userAgentBytes: [UInt8]
    public var startHeight: Int32
    /// The relay byte as sent (0 = do not send me transaction invs).
    public var relay: UInt8
    /// The sender's genesis block hash; required in practice by the C++ node.
    public var genesisHash: Hash256
    /// Bytes after the genesis hash (reserved for extensions; kept so re-encoding is exact).
    public var extensionBytes: [UInt8]

    public init(
        protocolVersion: Int32, services: UInt64, timestamp: Int64, receiver: NetAddress, sender: NetAddress,
        nonce: UInt64, userAgent: String, startHeight: Int32, relay: Bool, genesisHash: Hash256
    ) {
        self.protocolVersion = protocolVersion
        self.services = services
        self.timestamp = timestamp
        self.receiver = receiver
        self.sender = sender
        self.nonce = nonce
        self.userAgentBytes = Array(userAgent.utf8)
        self.startHeight = startHeight
        self.relay = relay ? 1 : 0
        self.genesisHash = genesisHash
        self.extensionBytes = []
    }

    /// The user agent with anything but printable ASCII replaced by `?`, safe to log.
    public var userAgent: String {
        String(decoding: userAgentBytes.map { (0x20...0x7E).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }

    func write(to writer: inout ByteWriter) {
        writer.writeInt32(protocolVersion)
        writer.writeUInt64(services)
        writer.writeInt64(timestamp)
        receiver.write(to: &writer)
        sender.write(to: &writer)
        writer.writeUInt64(nonce)
        writer.writeVarBytes(userAgentBytes)
        writer.writeInt32(startHeight)
        writer.writeUInt8(relay)
        writer.writeHash(genesisHash)
        writer.writeBytes(extensionBytes)
    }

    static func read(from reader: inout ByteReader) throws(MessageDecodeError) -> VersionMessage {
        let protocolVersion = try reader.readInt32("version.version")
        let services = try reader.readUInt64("version.services")
        let timestamp = try reader.readInt64("version.timestamp")
        let receiver = try NetAddress.read(from: &reader, "version.addr_recv")
        let sender = try NetAddress.read(from: &reader, "version.addr_from")
        let nonce = try reader.readUInt64("version.nonce")
        let userAgent = try reader.readVarBytes("version.user_agent", maxLength: Limits.maxUserAgentLength)
        let startHeight = try reader.readInt32("version.start_height")
        let relay = try reader.readUInt8("version.relay")
        let genesis = try reader.readHash("version.genesis")
        var message = VersionMessage(
            protocolVersion: protocolVersion, services: services, timestamp: timestamp, receiver: receiver,
            sender: sender, nonce: nonce, userAgent: "", startHeight: startHeight, relay: relay != 0,
            genesisHash: genesis)
        message.userAgentBytes = userAgent
        message.relay = relay
        message.extensionBytes = try reader.readBytes(reader.remaining, "version.extension")
        return message
    }
}
