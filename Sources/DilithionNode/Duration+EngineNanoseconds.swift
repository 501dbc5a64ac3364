extension Duration {
    /// Whole nanoseconds (durations here are never negative or beyond Int64).
    var engineNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
