import CDQNVMe
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

/// One CDQ of a migratable controller, attached to an engine end to end:
/// queue memory, its eventfd, the queue created on the controller, the
/// queue registered with the engine, and logging started (Track Send).
///
/// Every step that fails unwinds the ones before it, in reverse, so a
/// failed attach leaves no queue on the controller, no pinned or mapped
/// memory and no descriptor. `deinit` detaches a queue still attached:
/// the controller must never write into memory that was given back.
public final class AttachedQueue {
    public let cntlid: UInt16
    public let cdqid: UInt16
    public let handle: QueueHandle
    public let memory: QueueMemory
    public let eventFD: EventFD
    public let backend: any QueueBackend
    let engine: Engine
    private var attached = true
    /// The controller confirmed the delete (false while attached, and after
    /// a failed delete, when the memory is kept: see `detach()`).
    public private(set) var deleted = false
    /// The controller answered a Migration Send suspend with DUDMQ set: it
    /// deleted the queue itself, so `detach()` must not delete it again.
    private var deletedByController = false

    /// Steps after which a test may inject a failure.
    enum Step: String { case memory, eventFD, create, register, trackSend }

    /// Attaches a queue of (about) `entries` entries; `memory.reason` says
    /// how many it got and why.
    /// `scope` (the migratable controller's namespaces) makes the engine
    /// report every entry outside it (`QueueRegistration.scope`).
    public convenience init(
        engine: Engine, backend: any QueueBackend, consumer: Consumer, cntlid: UInt16,
        entries: UInt32, startLogging: Bool = true, scope: QueueScope? = nil
    ) throws(QueueLifecycleError) {
        try self.init(engine: engine, backend: backend, consumer: consumer, cntlid: cntlid,
                      entries: entries, startLogging: startLogging, scope: scope, failingAfter: nil)
    }

    init(
        engine: Engine, backend: any QueueBackend, consumer: Consumer, cntlid: UInt16,
        entries: UInt32, startLogging: Bool, scope: QueueScope? = nil, failingAfter failure: Step?
    ) throws(QueueLifecycleError) {
        if let tooFew = ControllerDataQueue.tooFewEntries(entries) { throw .create(tooFew, errno: EINVAL) }
        self.engine = engine
        self.backend = backend
        self.cntlid = cntlid
        func inject(_ step: Step) throws(QueueLifecycleError) {
            if step == failure { throw .injected(step.rawValue) }
        }
        do { memory = try QueueMemory.allocate(backend.memoryPolicy(entries: entries)) } catch { throw .memory(error) }
        try inject(.memory)
        do { eventFD = try EventFD() } catch { throw .eventFD(error) }
        try inject(.eventFD)
        cdqid = try backend.createQueue(memory: memory, cntlid: cntlid, eventFD: eventFD)
        do {
            try inject(.create)
            handle = try Self.register(engine, backend, consumer, memory, cdqid, cntlid, eventFD, scope)
        } catch {
            try? backend.deleteQueue(cdqid)
            throw error
        }
        // From here `detach()` unwinds everything.
        do {
            try inject(.register)
            if startLogging { try self.startLogging() }
            try inject(.trackSend)
        } catch {
            try? detach()
            throw error
        }
    }

    private static func register(
        _ engine: Engine, _ backend: any QueueBackend, _ consumer: Consumer, _ memory: QueueMemory,
        _ cdqid: UInt16, _ cntlid: UInt16, _ eventFD: EventFD, _ scope: QueueScope?
    ) throws(QueueLifecycleError) -> QueueHandle {
        do {
            var registration = QueueRegistration(
                memory: memory.buffer.baseAddress!, entryCount: memory.entryCount, cdqid: cdqid,
                eventFD: eventFD, transport: backend.transport, consumer: consumer, scope: scope)
            registration.cntlid = cntlid
            registration.device = backend.name
            return try engine.register(registration)
        } catch {
            throw .engine(error)
        }
    }

    /// Inside a run-to-completion engine's `poll` the queue cannot be
    /// unregistered: its memory is then kept mapped (quarantined), since the
    /// engine and the controller may still use it.
    deinit {
        do { try detach() } catch .engine(.insidePoll) { memory.quarantine() } catch {}
    }

    public var entryCount: UInt32 { memory.entryCount }

    /// Track Send start: the controller posts FIRST and logs from now on.
    public func startLogging() throws(QueueLifecycleError) {
        try admin("Track Send start", .trackSend(cdqid: cdqid, logging: .start))
    }

    /// Track Send stop: the controller posts LAST (logging stopped).
    public func stopLogging() throws(QueueLifecycleError) {
        try admin("Track Send stop", .trackSend(cdqid: cdqid, logging: .stop))
    }

    /// Migration Send suspend without waiting: the controller stops
    /// executing writes and posts the LAST (suspended) entry, which the
    /// caller reads from its consumer before `detach()`. For callers that
    /// are themselves the consumer (a migrator); others use
    /// `suspendAndDetach()`.
    ///
    /// With `deleteUserDataMigrationQueue` (DUDMQ) the controller deletes
    /// the queue itself once the LAST entry is posted; `detach()` then only
    /// tells the backend (`QueueBackend.queueDeletedByController`). Without
    /// it, `detach()` deletes the queue by the path that created it.
    public func suspend(deleteUserDataMigrationQueue: Bool = false) throws(QueueLifecycleError) {
        try admin("Migration Send suspend",
                  .migrationSendSuspend(cntlid: cntlid, suspendType: .suspend,
                                        deleteUserDataMigrationQueue: deleteUserDataMigrationQueue))
        // Only a suspend the controller accepted deleted anything: a
        // refused one leaves the queue for `detach()` to delete.
        if deleteUserDataMigrationQueue { deletedByController = true }
    }

    /// Migration Send resume: the controller executes writes again.
    public func resume() throws(QueueLifecycleError) {
        try admin("Migration Send resume", .migrationSendResume(cntlid: cntlid))
    }

    /// Unregisters from the engine, deletes the queue on the controller and
    /// gives the memory back. Idempotent.
    ///
    /// The memory rule: memory the kernel may still have pinned, or the
    /// controller may still write, is never reused while the queue may
    /// exist. So when the delete fails (the controller is gone or does not
    /// answer, the queue was lost), the memory is not unmapped but kept
    /// until the process ends (`QueueMemory.quarantined`); the error is
    /// still reported.
    public func detach() throws(QueueLifecycleError) {
        guard attached else { return }
        do {
            try engine.unregister(handle)
        } catch .insidePoll {
            // The engine still reads the queue: nothing may be deleted yet.
            throw .engine(.insidePoll)
        } catch {
            // Already unregistered, or the engine stopped: it no longer reads the queue.
        }
        attached = false
        do {
            if deletedByController { try backend.queueDeletedByController(cdqid) } else { try backend.deleteQueue(cdqid) }
        } catch {
            memory.quarantine()
            throw error
        }
        deleted = true
    }

    func admin(_ step: String, _ command: NVMeCommand, data: UnsafeMutableRawBufferPointer? = nil) throws(QueueLifecycleError) {
        let outcome: AdminOutcome
        // A command without data may be given up after the admin timeout
        // (nothing of the caller's stays in flight); one with data may not.
        let timeout = data == nil ? engine.configuration.adminTimeoutNanoseconds : nil
        do { outcome = try engine.executeAdmin(command, data: data, via: backend.transport, timeoutNanoseconds: timeout) }
        catch { throw .engine(error) }
        do { _ = try outcome.get() } catch { throw .admin(step: step, error) }
    }
}

extension AttachedQueue {
    /// The end of a queue's life (cdq-protocol.md §3): Track Send stop, wait
    /// until the engine has read the LAST entry (every change logged before
    /// it is in the consumer's ring), then detach. The queue is detached
    /// even when a step fails: nothing stays pinned to memory given back.
    public func stopLoggingAndDetach(timeoutNanoseconds: UInt64 = 5_000_000_000) throws(QueueLifecycleError) {
        try finish("Track Send stop", timeoutNanoseconds) { () throws(QueueLifecycleError) in try stopLogging() }
    }

    /// The suspend flow (§3): Migration Send suspend, wait for the LAST
    /// (controller suspended) entry, then detach. By default DUDMQ is not
    /// set, so the queue is deleted by the same path that created it (for
    /// the kernel, that path also unpins the memory; protocol-choices.md).
    /// With `deleteUserDataMigrationQueue` the controller deletes it; a
    /// refused suspend deleted nothing, so the queue is then deleted here
    /// before its memory is given back.
    public func suspendAndDetach(deleteUserDataMigrationQueue: Bool = false,
                                 timeoutNanoseconds: UInt64 = 5_000_000_000) throws(QueueLifecycleError) {
        try finish("Migration Send suspend", timeoutNanoseconds) { () throws(QueueLifecycleError) in
            try suspend(deleteUserDataMigrationQueue: deleteUserDataMigrationQueue)
        }
    }

    private func finish(_ step: String, _ timeout: UInt64, _ action: () throws(QueueLifecycleError) -> Void) throws(QueueLifecycleError) {
        let before = engine.lastEntries(of: handle)
        do throws(QueueLifecycleError) {
            try action()
            guard engine.waitForLastEntry(of: handle, beyond: before, timeoutNanoseconds: timeout) else {
                throw QueueLifecycleError.lastEntryMissing(step: step)
            }
        } catch {
            try? detach()
            throw error
        }
        try detach()
    }
}

extension AttachedQueue {
    /// Get Features FID 0x21 through the engine's admin path: the head and
    /// tail pointer trigger the controller holds for this queue.
    public func controllerView() throws(QueueLifecycleError) -> CDQFeatureData {
        let data = UnsafeMutableRawBufferPointer.allocate(byteCount: CDQFeatureData.size, alignment: 8)
        defer { data.deallocate() }
        try admin("Get Features FID 0x21", .getControllerDataQueue(cdqid: cdqid), data: data)
        return CDQFeatureData(buffer: UnsafeRawBufferPointer(data))!
    }

    /// Migration Receive (controller state) through the engine's admin
    /// path: `buffer.count` bytes (a multiple of 4) of the migratable
    /// controller's state from `offset`; the controller must be suspended.
    public func receiveControllerState(into buffer: UnsafeMutableRawBufferPointer, offset: UInt64 = 0) throws(QueueLifecycleError) {
        precondition(buffer.count >= 4 && buffer.count % 4 == 0, "controller state is read in whole dwords")
        try admin("Migration Receive", .migrationReceiveGetState(cntlid: cntlid, offset: offset, numberOfDwords: UInt32(buffer.count / 4)), data: buffer)
    }
}
