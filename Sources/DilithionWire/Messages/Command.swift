/// Command names and the payload size window the C++ node enforces on receipt for each
/// (PROTOCOL.md §3.1). A payload outside its window is dropped with +20.
public enum Command {
    public static let version = "version"
    public static let verack = "verack"
    public static let ping = "ping"
    public static let pong = "pong"
    public static let getaddr = "getaddr"
    public static let addr = "addr"
    public static let inv = "inv"
    public static let getdata = "getdata"
    public static let getheaders = "getheaders"
    public static let headers = "headers"
    public static let block = "block"
    public static let tx = "tx"
    public static let sendheaders = "sendheaders"
    public static let sendcmpct = "sendcmpct"
    public static let reject = "reject"
    public static let mempool = "mempool"
    public static let cmpctblock = "cmpctblock"
    public static let getblocktxn = "getblocktxn"
    public static let blocktxn = "blocktxn"
    public static let getblocks = "getblocks"

    /// The Digital-DNA family: accepted as opaque, size-checked payloads (a relay may ignore them).
    public static let dnaCommands: Set<String> = [
        "dnalping", "dnalpong", "dnatsync", "dnabwtest", "dnabwres", "dnaireq", "dnaires",
        "dnavchall", "dnavresp", "dnavatts",
    ]

    /// Payload bytes accepted per command; commands not listed have no window (unknown commands
    /// are ignored whatever their size, up to the frame limit).
    public static let sizeWindows: [String: ClosedRange<Int>] = [
        version: 85...400,
        verack: 0...0,
        ping: 8...8,
        pong: 8...8,
        getaddr: 0...0,
        addr: 1...900_000,
        inv: 1...1_800_000,
        getdata: 1...1_800_000,
        block: 80...8_388_608,
        tx: 60...1_048_576,
        getheaders: 33...8_236,
        headers: 1...290_009,
        sendheaders: 0...0,
        sendcmpct: 9...9,
        cmpctblock: 80...8_388_608,
        getblocktxn: 33...200_033,
        blocktxn: 33...8_388_608,
        mempool: 0...0,
        reject: 1...1_024,
        getblocks: 36...8_236,
        "dnalping": 8...8,
        "dnalpong": 8...8,
        "dnatsync": 25...25,
        "dnabwtest": 20...1_048_596,
        "dnabwres": 24...24,
        "dnaireq": 20...20,
        "dnaires": 21...8_192,
        "dnavchall": 92...8_192,
        "dnavresp": 70...8_192,
        "dnavatts": 112...8_192,
    ]
}
