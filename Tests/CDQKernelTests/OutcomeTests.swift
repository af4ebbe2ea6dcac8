@testable import CDQKernel
import CDQNVMe
import CDQUring
import Testing

@Suite struct OutcomeTests {
    @Test func successCarriesDW0FromTheBigCQE() throws {
        let outcome = CommandOutcome(Completion(userData: 0, result: 0, extra0: 0xFFFF_FFFF_0000_0007))
        #expect(outcome == .success(dw0: 7))
        #expect(try outcome.get() == 7)
    }

    @Test func positiveResultIsTheNVMeStatus() {
        let outcome = CommandOutcome(Completion(userData: 0, result: 0x4137))
        guard case .nvmeError(let status, _) = outcome else {
            Issue.record("expected an NVMe error, got \(outcome)")
            return
        }
        #expect(status.matches(.invalidControllerDataQueue))
        #expect(status.doNotRetry)
        #expect(throws: PassthroughError.nvme(status)) { try outcome.get() }
        #expect(PassthroughError.nvme(status).description == "Invalid Controller Data Queue (SCT 1, SC 0x37, DNR)")
    }

    @Test func negativeResultIsTheKernelsErrno() {
        let outcome = CommandOutcome(Completion(userData: 0, result: -13))
        guard case .systemError(let error) = outcome else {
            Issue.record("expected a system error, got \(outcome)")
            return
        }
        #expect(error.errnoName == "EACCES")
    }
}
