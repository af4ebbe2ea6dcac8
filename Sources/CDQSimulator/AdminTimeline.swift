/// The admin cost model's rules in virtual time (nanoseconds on the
/// monotonic clock), free of I/O so they can be read and tested alone.
///
/// Commands are admitted in arrival order into `depth` slots. A command
/// holds its slot from admission until it completes. The controller serves
/// admitted commands one at a time, in admission order, each for the
/// service time; the command's effect happens when its service ends. It
/// completes at `max(admission + latency, service end)`.
///
/// Both service ends and completions then come in admission order, so the
/// slot a new command gets is the one the oldest holder left.
struct AdminTimeline {
    let cost: AdminCost
    /// When the last admitted command's service ends.
    private var lastServiceEnd: UInt64 = 0

    init(cost: AdminCost) {
        self.cost = cost
    }

    /// When one command is served and completes.
    struct Schedule: Equatable {
        var admission: UInt64
        var serviceStart: UInt64
        var serviceEnd: UInt64
        var completion: UInt64
    }

    /// Schedules the next command: it arrived at `arrival` and takes the
    /// slot that was freed at `slotFreedAt` (0: a slot never used).
    mutating func admit(arrival: UInt64, slotFreedAt: UInt64) -> Schedule {
        let admission = max(arrival, slotFreedAt)
        let serviceStart = max(admission, lastServiceEnd)
        let serviceEnd = serviceStart + cost.serviceNanoseconds
        lastServiceEnd = serviceEnd
        return Schedule(admission: admission, serviceStart: serviceStart, serviceEnd: serviceEnd,
                        completion: max(admission + cost.latencyNanoseconds, serviceEnd))
    }
}
