import CDQKernel
import CDQNVMe

/// I/O passthrough on /dev/ngXnY: bytes written come back, errors have names.
struct IOChecks {
    let io: NVMePassthrough
    let geometry: AdminChecks.Geometry

    func run(_ report: inout Report) {
        report.check("io-write-read-8-lbas") { try writeThenRead(startingLBA: 16, blocks: 8) }
        report.check("io-16-writes-in-flight") { try manyWritesInFlight() }
        report.check("io-read-out-of-range") { try readPastTheEnd() }
    }

    func pattern(_ lba: UInt64, _ buffer: Buffer) {
        for i in 0..<buffer.bytes.count { buffer.bytes[i] = UInt8(truncatingIfNeeded: UInt64(i) &* 31 &+ lba) }
    }

    func writeThenRead(startingLBA: UInt64, blocks: Int) throws {
        let out = Buffer(blocks * geometry.lbaSize), back = Buffer(blocks * geometry.lbaSize)
        pattern(startingLBA, out)
        _ = try io.execute(.write(nsid: 1, startingLBA: startingLBA, blockCount: UInt32(blocks)), data: out.bytes)
        _ = try io.execute(.read(nsid: 1, startingLBA: startingLBA, blockCount: UInt32(blocks)), data: back.bytes)
        try require(out.raw.elementsEqual(back.raw), "data read back differs from data written")
    }

    func manyWritesInFlight() throws {
        let buffers = (0..<16).map { _ in Buffer(geometry.lbaSize) }
        for (i, buffer) in buffers.enumerated() {
            pattern(UInt64(100 + i), buffer)
            _ = try io.submit(.write(nsid: 1, startingLBA: UInt64(100 + i), blockCount: 1), data: buffer.bytes)
        }
        try require(io.inFlight == 16, "\(io.inFlight) writes in flight")
        var failures: [String] = []
        var done = 0
        while done < 16 {
            done += try io.reap(waitingFor: 1) { _, outcome in
                if case .success = outcome {} else { failures.append("\(outcome)") }
            }
        }
        try require(failures.isEmpty, failures.joined(separator: "; "))
        for (i, buffer) in buffers.enumerated() {
            let back = Buffer(geometry.lbaSize)
            _ = try io.execute(.read(nsid: 1, startingLBA: UInt64(100 + i), blockCount: 1), data: back.bytes)
            try require(back.raw.elementsEqual(buffer.raw), "LBA \(100 + i) differs")
        }
    }

    func readPastTheEnd() throws {
        let buffer = Buffer(geometry.lbaSize)
        do {
            _ = try io.execute(.read(nsid: 1, startingLBA: geometry.capacity, blockCount: 1), data: buffer.bytes)
            throw Failure("read at LBA \(geometry.capacity) succeeded")
        } catch let error as PassthroughError {
            guard case .nvme(let status) = error, status.matches(.lbaOutOfRange) else { throw error }
            print("info read past end: \(status)")
        }
    }
}
