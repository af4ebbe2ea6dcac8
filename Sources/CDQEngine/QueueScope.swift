import CDQNVMe

/// What a queue's entries may name: the namespaces its migratable
/// controller can log, each with its capacity in blocks, and how the
/// controller counts NLB. Given at registration; the engine reports every
/// entry outside it (cdq-protocol.md §4: never trust controller data).
public struct QueueScope: Sendable, Hashable {
    /// One namespace of the migratable controller.
    public struct Namespace: Sendable, Hashable {
        public var nsid: UInt32
        /// Blocks in the namespace: a range must end at or before it.
        public var capacity: UInt64

        public init(nsid: UInt32, capacity: UInt64) {
            self.nsid = nsid
            self.capacity = capacity
        }
    }

    public var namespaces: [Namespace]
    /// How this controller's entries count blocks (the TP4159 emulation's
    /// 1's based deallocation ranges would otherwise read one block long).
    public var convention: NLBConvention

    public init(_ namespaces: [Namespace], convention: NLBConvention = .specification) {
        self.namespaces = namespaces
        self.convention = convention
    }

    /// One namespace: the usual user data migration queue.
    public init(nsid: UInt32, capacity: UInt64, convention: NLBConvention = .specification) {
        self.init([Namespace(nsid: nsid, capacity: capacity)], convention: convention)
    }
}
