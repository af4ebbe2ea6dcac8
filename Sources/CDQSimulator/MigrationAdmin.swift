import CDQNVMe
import CDQUring

/// Track Send, Migration Send and Migration Receive (cdq-protocol.md §1, §3).
extension SimulatedSubsystem {
    func trackSend(_ command: NVMeCommand, _ state: AdminState) -> AdminCompletion {
        // SEL 1 (track memory changes) is for host memory, which a storage
        // controller simulation has none of.
        guard command.cdw10 & 0xFF == 0 else { return .reject(.invalidFieldInCommand) }
        let action = (command.cdw10 >> 16) & 0xF
        guard action <= 1 else { return .reject(.invalidFieldInCommand) }
        let cdqid = UInt16(truncatingIfNeeded: command.cdw11)
        guard let controller = owner(of: cdqid, state) else { return .reject(.invalidControllerDataQueue) }
        let start = action == 1
        let outcome: (NVMeStatus, EventFD?) = controller.state.withLock { controllerState in
            guard var queue = controllerState.queue else { return (.invalidControllerDataQueue, nil) }
            defer { controllerState.queue = queue }
            // Repeating the current logging state posts nothing (§3).
            guard queue.logging != start else { return (.success, nil) }
            if start && queue.full { return (.controllerDataQueueFull, nil) }
            let result = queue.post(.marker(start ? .first : .lastLoggingStopped, phaseTag: false))
            queue.logging = start
            return (.success, result.signal ? queue.eventFD : nil)
        }
        if let eventFD = outcome.1 { faults.deliverTrigger(eventFD: eventFD) }
        return outcome.0.isSuccess ? .success : .reject(outcome.0)
    }

    func migrationSend(_ command: NVMeCommand, _ state: inout AdminState) -> AdminCompletion {
        let cntlid = UInt16(truncatingIfNeeded: command.cdw11)
        switch command.cdw10 & 0xFF {
        case 0:
            guard let controller = controller(cntlid) else { return .reject(.invalidControllerIdentifier) }
            let suspendType = (command.cdw11 >> 16) & 0xFF
            let deleteQueue = command.cdw11 >> 31 == 1
            return suspend(controller, suspendType: suspendType, deleteQueue: deleteQueue, &state)
        case 1:
            guard let controller = controller(cntlid) else { return .reject(.invalidControllerIdentifier) }
            let resumed: Bool = controller.state.withLock { controllerState in
                guard controllerState.suspended else { return false }
                controllerState.suspended = false
                return true
            }
            return resumed ? .success : .reject(.controllerNotSuspended)
        default:
            // SEL 2 (set controller state) restores a destination controller;
            // the simulator models only the source side of a migration.
            return .reject(.invalidFieldInCommand)
        }
    }

    /// Suspend: no more writes; while logging, a LAST (controller suspended)
    /// entry; with DUDMQ the queue is deleted after that entry (§3).
    /// A notification (STYPE 0) changes nothing and posts nothing.
    private func suspend(
        _ controller: SimulatedController, suspendType: UInt32, deleteQueue: Bool, _ state: inout AdminState
    ) -> AdminCompletion {
        guard suspendType <= 1 else { return .reject(.invalidFieldInCommand) }
        guard suspendType == 1 else { return .success }
        let outcome: (ok: Bool, signal: EventFD?, deleted: UInt16?) = controller.state.withLock { controllerState in
            guard !controllerState.suspended else { return (false, nil, nil) }
            controllerState.suspended = true
            guard var queue = controllerState.queue else { return (true, nil, nil) }
            var signal: EventFD?
            if queue.logging {
                signal = queue.post(.marker(.lastControllerSuspended, phaseTag: false)).signal ? queue.eventFD : nil
                queue.logging = false
            }
            controllerState.queue = deleteQueue ? nil : queue
            return (true, signal, deleteQueue ? queue.cdqid : nil)
        }
        guard outcome.ok else { return .reject(.controllerSuspended) }
        if let cdqid = outcome.deleted { state.queues[cdqid] = nil }
        if let eventFD = outcome.signal { faults.deliverTrigger(eventFD: eventFD) }
        return .success
    }

    /// Migration Receive SEL 0: a slice of the controller state blob
    /// (`ControllerStateBlob`), only while the controller is suspended.
    func migrationReceive(_ request: AdminRequest) -> AdminCompletion {
        let command = request.command
        guard command.cdw10 & 0xFF == 0 else { return .reject(.invalidFieldInCommand) }
        guard let controller = controller(UInt16(truncatingIfNeeded: command.cdw11)) else {
            return .reject(.invalidControllerIdentifier)
        }
        let offset = UInt64(command.cdw12) | UInt64(command.cdw13) << 32
        let length = (UInt64(command.cdw15) + 1) * 4
        guard let data = request.data, UInt64(data.count) >= length else { return .reject(.invalidFieldInCommand) }
        guard let blob = ControllerStateBlob(controller) else { return .reject(.controllerNotSuspended) }
        guard offset <= UInt64(blob.bytes.count) else { return .reject(.invalidFieldInCommand) }
        let slice = blob.bytes[Int(offset)...].prefix(Int(length))
        let target = UnsafeMutableRawBufferPointer(rebasing: data[0..<Int(length)])
        target.initializeMemory(as: UInt8.self, repeating: 0)
        target.copyBytes(from: slice)
        if faults.takeResumeAfterStateRead() { controller.state.withLock { $0.suspended = false } }
        return .success
    }
}
