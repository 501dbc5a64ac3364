/// The Swift object that owns a ``ReactorEvent`` and handles its callbacks (reactor thread only).
protocol ReactorEventHandler: AnyObject {
    /// `event` fired with libevent's `what` flags (`EV_READ`, `EV_WRITE`, `EV_TIMEOUT`).
    func eventFired(_ event: ReactorEvent, flags: Int16)
}
