import CDQNVMe
import CDQUring

/// Names one submitted passthrough command until it completes.
public struct CommandTicket: Hashable, Sendable {
    public let tag: UserData
}

/// Asynchronous NVMe passthrough over `IORING_OP_URING_CMD`.
///
/// Admin commands go to a controller device, I/O commands to a generic
/// namespace device. Many commands may be in flight at once, up to `depth`;
/// the slots are allocated at creation, so nothing allocates per command.
/// One thread owns an instance (it owns an io_uring).
///
/// Needs Linux 5.19+ (NVMe uring_cmd) and access to the device node.
public final class NVMePassthrough {
    public let device: NVMeCharacterDevice
    public let depth: Int
    /// Commands submitted and not yet completed.
    public private(set) var inFlight = 0
    /// Completions whose tag named no current command (a bug elsewhere if non-zero).
    public private(set) var staleCompletions = 0

    let ring: IOURing
    private let generations: GenerationTable
    private var freeSlots: [Int]
    static let tagKind: UInt8 = 0x4E // 'N'

    public init(device: NVMeCharacterDevice, depth: Int = 64) throws(PassthroughError) {
        precondition(depth > 0, "depth must be positive")
        self.device = device
        self.depth = depth
        do {
            ring = try IOURing(RingConfiguration(entries: UInt32(depth), bigEntries: true))
        } catch {
            throw .system(error)
        }
        generations = GenerationTable(slots: depth)
        freeSlots = Array((0..<depth).reversed())
    }

    /// The mode the ring runs in (reported by tools).
    public var ringMode: RingMode { ring.mode }

    /// Queues `command` for submission; `data` must stay valid until its
    /// completion is reaped. Nothing reaches the kernel before `flush` or a reap.
    public func submit(
        _ command: NVMeCommand, data: UnsafeMutableRawBufferPointer? = nil, timeoutMilliseconds: UInt32 = 0
    ) throws(PassthroughError) -> CommandTicket {
        try DataBufferRule.check(command, data: data, admin: device.kind == .controller)
        guard let slot = freeSlots.popLast() else { throw .queueFull(depth: depth) }
        let tag = generations.tag(kind: Self.tagKind, slot: slot)
        let sqe: SubmissionEntry
        do {
            sqe = try ring.nextSubmission()
        } catch {
            freeSlots.append(slot)
            throw .system(error)
        }
        sqe.prepareUringCommand(fd: device.fileDescriptor, commandOp: device.uringCommandOp, tag) { area in
            UringCommandImage.write(command, data: data, timeoutMilliseconds: timeoutMilliseconds, to: area)
        }
        inFlight += 1
        return CommandTicket(tag: tag)
    }

    /// Hands queued commands to the kernel without waiting.
    public func flush() throws(PassthroughError) {
        do { try ring.submit() } catch { throw .system(error) }
    }

    /// Delivers finished commands to `body`; with `minimum` > 0, first blocks
    /// until at least that many completions are ready. Returns how many were delivered.
    @discardableResult
    public func reap(
        waitingFor minimum: Int = 0, _ body: (CommandTicket, CommandOutcome) -> Void
    ) throws(PassthroughError) -> Int {
        do {
            if minimum > 0 {
                try ring.submitAndWait(minimum: minimum)
            } else {
                try ring.submit()
                try ring.flushDeferredCompletions()
            }
        } catch {
            throw .system(error)
        }
        var delivered = 0
        ring.forEachCompletion { completion in
            let tag = completion.tag
            guard tag.kind == Self.tagKind, generations.isCurrent(tag) else {
                staleCompletions += 1
                return
            }
            release(slot: Int(tag.index))
            delivered += 1
            body(CommandTicket(tag: tag), CommandOutcome(completion))
        }
        return delivered
    }

    /// Runs one command to completion and returns DW0. For tools and tests:
    /// it refuses to run while asynchronous commands are in flight, so their
    /// completions can never be swallowed here.
    public func execute(
        _ command: NVMeCommand, data: UnsafeMutableRawBufferPointer? = nil, timeoutMilliseconds: UInt32 = 0
    ) throws(PassthroughError) -> UInt32 {
        guard inFlight == 0 else { throw .busy(inFlight: inFlight) }
        let ticket = try submit(command, data: data, timeoutMilliseconds: timeoutMilliseconds)
        var outcome: CommandOutcome?
        while outcome == nil {
            try reap(waitingFor: 1) { finished, result in
                if finished == ticket { outcome = result }
            }
        }
        return try outcome!.get()
    }

    private func release(slot: Int) {
        generations.advance(slot: slot)
        freeSlots.append(slot)
        inFlight -= 1
    }
}
