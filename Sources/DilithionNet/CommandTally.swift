/// Messages and bytes per command for one direction of one peer. An honest peer uses a dozen
/// commands, and a stream mostly repeats one (a flood of pings, a run of blocks), so the figures
/// live in a short array searched from the command counted last: no string hashing and no
/// dictionary growth per message. Commands past ``arrayLimit`` (a peer inventing command names)
/// go to a dictionary, so the search never grows with them. Guarded like its owner (the engine lock).
struct CommandTally {
    static let arrayLimit = 16

    private var entries: [(command: String, statistics: CommandStatistics)] = []
    private var last = 0  // index of the entry counted last
    private var overflow: [String: CommandStatistics] = [:]

    /// Counts `messages` of `command` totalling `bytes` wire bytes.
    mutating func add(_ command: String, messages: Int = 1, bytes: Int) {
        if last < entries.count, entries[last].command == command {
            entries[last].statistics.add(messages: messages, bytes: bytes)
            return
        }
        if let index = entries.firstIndex(where: { $0.command == command }) {
            last = index
        } else if entries.count == Self.arrayLimit {
            overflow[command, default: CommandStatistics()].add(messages: messages, bytes: bytes)
            return
        } else {
            if entries.isEmpty { entries.reserveCapacity(8) }
            last = entries.count
            entries.append((command, CommandStatistics()))
        }
        entries[last].statistics.add(messages: messages, bytes: bytes)
    }

    /// Every command's figures so far.
    var totals: [String: CommandStatistics] {
        var totals: [String: CommandStatistics] = [:]
        add(to: &totals)
        return totals
    }

    /// Adds every command's figures to `totals`.
    func add(to totals: inout [String: CommandStatistics]) {
        for entry in entries {
            totals[entry.command, default: CommandStatistics()].add(
                messages: entry.statistics.messages, bytes: entry.statistics.bytes)
        }
        for (command, statistics) in overflow {
            totals[command, default: CommandStatistics()].add(messages: statistics.messages, bytes: statistics.bytes)
        }
    }
}
