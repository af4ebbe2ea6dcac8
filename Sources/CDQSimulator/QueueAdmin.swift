import CDQNVMe
import CDQUring

/// Create/Delete CDQ and Set/Get Features FID 0x21 (cdq-protocol.md §1, §3).
extension SimulatedSubsystem {
    /// Largest queue the simulator accepts, in entries (32 MiB of queue memory).
    public static let maximumQueueEntries: UInt32 = 1 << 20

    func createQueue(_ request: AdminRequest, _ state: inout AdminState) -> AdminCompletion {
        let command = request.command
        let queueType = UInt8(truncatingIfNeeded: command.cdw10 >> 16)
        let physicallyContiguous = command.cdw11 & 1 == 1
        let cntlid = UInt16(truncatingIfNeeded: command.cdw11 >> 16)
        let bytes = UInt64(command.cdw12) * 4
        guard queueType == ControllerDataQueue.userDataMigrationQueue else { return .reject(.invalidFieldInCommand) }
        // PRP lists are not simulated: like the TP4159 emulation, only
        // physically contiguous queues work (§6), so PC = 0 is refused up front.
        guard physicallyContiguous else { return .reject(.invalidFieldInCommand) }
        guard let controller = controller(cntlid) else { return .reject(.invalidControllerIdentifier) }
        guard bytes % UInt64(MigrationQueueEntry.size) == 0 else { return .reject(.invalidFieldInCommand) }
        let entries = UInt32(bytes / UInt64(MigrationQueueEntry.size))
        guard entries >= 2, entries <= Self.maximumQueueEntries else { return .reject(.invalidFieldInCommand) }
        guard let memory = request.data, let base = memory.baseAddress, UInt64(memory.count) >= bytes,
              UInt(bitPattern: base) % 4096 == 0 else { return .reject(.invalidFieldInCommand) }
        // The host must zero the queue before create (§3); stale phase bits
        // would read as entries, so a dirty queue is refused here.
        guard UnsafeRawBufferPointer(rebasing: memory[0..<Int(bytes)]).allSatisfy({ $0 == 0 }) else {
            return .reject(.invalidFieldInCommand)
        }
        guard state.queues.count < configuration.maximumQueues else { return .reject(.notEnoughResources) }
        var eventFD: EventFD?
        if request.tailPointerEventFD >= 0 {
            guard let shared = try? EventFD(duplicating: request.tailPointerEventFD) else {
                return .reject(.invalidFieldInCommand)
            }
            eventFD = shared
        }
        let cdqid = Self.lowestFreeID(state.queues)
        let created: Bool = controller.state.withLock { controllerState in
            // One user data migration queue per migratable controller (§6).
            guard controllerState.queue == nil else { return false }
            controllerState.queue = QueueProducer(cdqid: cdqid, memory: base, entryCount: entries, eventFD: eventFD)
            return true
        }
        guard created else { return .reject(.notEnoughResources) }
        state.queues[cdqid] = cntlid
        return AdminCompletion(status: .success, dw0: UInt32(cdqid))
    }

    private static func lowestFreeID(_ queues: [UInt16: UInt16]) -> UInt16 {
        var id: UInt16 = 1
        while queues[id] != nil { id += 1 }
        return id
    }

    func deleteQueue(cdqid: UInt16, _ state: inout AdminState) -> AdminCompletion {
        guard let cntlid = state.queues.removeValue(forKey: cdqid), let controller = controller(cntlid) else {
            return .reject(.invalidControllerDataQueue)
        }
        // After this the controller holds no pointer into the host's memory.
        controller.state.withLock { $0.queue = nil }
        return .success
    }

    /// The migratable controller whose queue `cdqid` is.
    func owner(of cdqid: UInt16, _ state: AdminState) -> SimulatedController? {
        state.queues[cdqid].flatMap { controller($0) }
    }

    func setFeatures(_ command: NVMeCommand, _ state: AdminState) -> AdminCompletion {
        guard command.cdw10 & 0xFF == UInt32(FeatureID.controllerDataQueue) else { return .reject(.invalidFieldInCommand) }
        guard command.cdw10 >> 31 == 0 else { return .reject(.featureIdentifierNotSaveable) }
        let cdqid = UInt16(truncatingIfNeeded: command.cdw11)
        let trigger: UInt32? = command.cdw11 >> 31 == 1 ? command.cdw13 : nil
        guard let controller = owner(of: cdqid, state) else { return .reject(.invalidControllerDataQueue) }
        let status: NVMeStatus = controller.state.withLock { controllerState in
            guard controllerState.queue != nil else { return .invalidControllerDataQueue }
            return controllerState.queue!.update(head: command.cdw12, trigger: trigger)
        }
        return status.isSuccess ? .success : .reject(status)
    }

    func getFeatures(_ request: AdminRequest, _ state: AdminState) -> AdminCompletion {
        let command = request.command
        guard command.cdw10 & 0xFF == UInt32(FeatureID.controllerDataQueue) else { return .reject(.invalidFieldInCommand) }
        let cdqid = UInt16(truncatingIfNeeded: command.cdw11)
        guard let controller = owner(of: cdqid, state) else { return .reject(.invalidControllerDataQueue) }
        guard let data = request.data, let base = data.baseAddress, data.count >= CDQFeatureData.size else {
            return .reject(.invalidFieldInCommand)
        }
        let feature: CDQFeatureData? = controller.state.withLock { controllerState in
            controllerState.queue.map { CDQFeatureData(head: $0.head, tailPointerTrigger: $0.reportedTrigger) }
        }
        guard let feature else { return .reject(.invalidControllerDataQueue) }
        feature.write(to: base)
        return .success
    }
}
