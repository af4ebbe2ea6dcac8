import CCDQ
import CDQUring
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Collects completions, entering the kernel as the ring's mode requires.
func reap(_ ring: IOURing, atLeast count: Int) throws -> [Completion] {
    var completions: [Completion] = []
    while completions.count < count {
        try ring.submitAndWait(minimum: 1)
        ring.forEachCompletion { completions.append($0) }
    }
    return completions
}

@Suite struct RingTests {
    @Test(arguments: RingMode.allCases)
    func everyModeRoundTripsNops(mode: RingMode) throws {
        let ring = try IOURing(RingConfiguration(entries: 8, modes: [mode]))
        #expect(ring.mode == mode)
        #expect(ring.setupFlags & UInt32(IORING_SETUP_CQE32) != 0)
        // More nops than SQ slots: nextSubmission must flush a full queue by itself.
        for i in 0..<20 {
            try ring.nextSubmission().prepareNop(UserData(kind: 7, generation: UInt16(i), index: UInt32(i * 3)))
        }
        let completions = try reap(ring, atLeast: 20)
        // With 32-byte CQEs, a wrong stride would read garbage tags here.
        #expect(completions.map(\.tag.index).sorted() == (0..<20).map { UInt32($0 * 3) })
        #expect(completions.allSatisfy { $0.result == 0 && $0.tag.kind == 7 })
        #expect(completions.allSatisfy { UInt32($0.tag.generation) * 3 == $0.tag.index })
    }

    @Test func probingPrefersTheBestModeTheKernelAccepts() throws {
        let ring = try IOURing()
        // The CI kernel is >= 6.1, which accepts SINGLE_ISSUER|DEFER_TASKRUN.
        #expect(ring.mode == .singleIssuerDeferTaskrun)
        #expect(ring.setupFlags & UInt32(IORING_SETUP_DEFER_TASKRUN) != 0)
    }

    @Test func setupFailureIsATypedErrorWithTheErrnoName() {
        #expect {
            _ = try IOURing(RingConfiguration(entries: 0))
        } throws: { error in
            (error as? SystemError)?.errnoName == "EINVAL"
                && (error as? SystemError)?.operation == "io_uring_queue_init"
        }
    }

    @Test func multishotPollFiresOnEventfdAndCancels() throws {
        let ring = try IOURing(RingConfiguration(entries: 16))
        let event = try EventFD()
        let pollTag = UserData(kind: 1, index: 42)
        try ring.nextSubmission().preparePollMultishot(fd: event.fileDescriptor, pollTag)
        try ring.submit()
        #expect(try !ring.submitAndWait(timeoutNanoseconds: 20_000_000), "nothing signalled yet")

        try event.signal(3)
        let fired = try reap(ring, atLeast: 1)
        #expect(fired.count == 1)
        #expect(fired[0].tag == pollTag)
        #expect(fired[0].hasMore, "a live multishot poll carries IORING_CQE_F_MORE")
        #expect(fired[0].result & Int32(POLLIN) != 0)
        #expect(try event.drain() == 3, "writes coalesce in the counter")

        try ring.nextSubmission().prepareCancel(pollTag, UserData(kind: 2, index: 0))
        let ended = try reap(ring, atLeast: 2)
        let cancelResult = ended.first { $0.tag.kind == 2 }?.result
        let pollEnd = ended.first { $0.tag == pollTag }
        #expect(cancelResult == 0)
        #expect(pollEnd?.result == -ECANCELED)
        #expect(pollEnd?.hasMore == false, "the final CQE of a multishot request lacks F_MORE")
    }

    @Test func readAndWriteMoveBytesThroughAPipe() throws {
        let ring = try IOURing(RingConfiguration(entries: 8))
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let message: [UInt8] = Array("controller data queue".utf8)
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: message.count, alignment: 8)
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
        defer { input.deallocate(); output.deallocate() }
        input.copyBytes(from: message)

        try ring.nextSubmission().prepareWrite(fd: fds[1], from: UnsafeRawBufferPointer(input), offset: UInt64.max, UserData(kind: 1, index: 1))
        #expect(try reap(ring, atLeast: 1).first?.result == Int32(message.count))
        try ring.nextSubmission().prepareRead(fd: fds[0], into: output, offset: UInt64.max, UserData(kind: 1, index: 2))
        let read = try reap(ring, atLeast: 1)
        #expect(read.first?.result == Int32(message.count))
        #expect(Array(output.prefix(message.count)) == message)
    }

    @Test func timeoutExpiresWithETIME() throws {
        let ring = try IOURing(RingConfiguration(entries: 8))
        let ts = UnsafeMutablePointer<__kernel_timespec>.allocate(capacity: 1)
        defer { ts.deallocate() }
        ts.initialize(to: __kernel_timespec(tv_sec: 0, tv_nsec: 5_000_000))
        try ring.nextSubmission().prepareTimeout(ts, UserData(kind: 9, index: 0))
        let completions = try reap(ring, atLeast: 1)
        #expect(completions.first?.result == -ETIME)
        #expect(completions.first?.tag.kind == 9)
    }

    @Test func uringCommandOnANonNVMeFileFailsWithEOPNOTSUPP() throws {
        let ring = try IOURing(RingConfiguration(entries: 8))
        let event = try EventFD()
        try ring.nextSubmission().prepareUringCommand(fd: event.fileDescriptor, commandOp: cdq_uring_cmd_admin(), UserData(kind: 4, index: 0)) { area in
            #expect(area.count == 80)
            #expect(area.allSatisfy { $0 == 0 }, "the command area starts zeroed")
            area.storeBytes(of: UInt8(0x06), toByteOffset: 0, as: UInt8.self)
        }
        let completions = try reap(ring, atLeast: 1)
        #expect(completions.first?.result == -EOPNOTSUPP)
    }

    @Test func uringCommandNeedsBigEntries() throws {
        // Only the configuration is checked here; the precondition itself is
        // the guard against building an 80-byte command in a 64-byte SQE.
        let ring = try IOURing(RingConfiguration(entries: 8, bigEntries: false))
        #expect(!ring.bigEntries)
        #expect(ring.setupFlags & UInt32(IORING_SETUP_SQE128) == 0)
    }
}
