/// Carries a non-Sendable reference into the reactor thread's closure. Safe here because the value
/// is only used on that thread after the hand-over.
struct UncheckedSendableBox<Value>: @unchecked Sendable {
    let value: Value

    init(_ value: Value) {
        self.value = value
    }
}
