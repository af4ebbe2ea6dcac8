import Testing
import CDQNVMe

private func entry(nsid: UInt32 = 1, nlb: UInt32 = 0, slba: UInt64 = 0, esa: UInt8, lbacir: UInt8) -> MigrationQueueEntry {
    MigrationQueueEntry(nsid: nsid, numberOfLogicalBlocks: nlb, startingLBA: slba,
                        attributes: 1 | esa << 1 | lbacir << 6)
}

@Test func wellFormedEntries() {
    #expect(entry(nsid: 1, nlb: 7, slba: 100, esa: 0, lbacir: 0).validate() == nil)
    #expect(entry(nsid: 1, esa: 0, lbacir: 1).validate() == nil) // whole namespace
    for esa: UInt8 in [1, 2, 3, 7] {
        #expect(entry(nsid: 0, esa: esa, lbacir: 2).validate() == nil)
    }
}

@Test(arguments: [UInt8(4), 5, 6])
func reservedESA(esa: UInt8) {
    #expect(entry(esa: esa, lbacir: 0).validate() == .reservedEntryStatus(esa))
}

@Test func reservedLBACIR() {
    #expect(entry(esa: 0, lbacir: 3).validate() == .reservedLBAChangeIndicator)
    #expect(entry(nsid: 0, esa: 1, lbacir: 3).validate() == .reservedLBAChangeIndicator)
}

@Test func markerMustNotClaimAChange() {
    #expect(entry(nsid: 0, esa: 1, lbacir: 0).validate() == .markerWithLBAChange(.first, .rangeChanged))
    #expect(entry(nsid: 0, esa: 7, lbacir: 1).validate() == .markerWithLBAChange(.lastQueueFull, .allLBAsChanged))
}

@Test func markerMustHaveZeroRange() {
    #expect(entry(nsid: 1, esa: 2, lbacir: 2).validate() == .markerWithRange(.lastLoggingStopped))
    #expect(entry(nsid: 0, nlb: 1, esa: 3, lbacir: 2).validate() == .markerWithRange(.lastControllerSuspended))
    #expect(entry(nsid: 0, slba: 1, esa: 1, lbacir: 2).validate() == .markerWithRange(.first))
}

@Test func changeRecordMustChangeSomething() {
    #expect(entry(nsid: 0, esa: 0, lbacir: 2).validate() == .changeRecordWithoutChange)
}

@Test func changeRecordNeedsANamespace() {
    #expect(entry(nsid: 0, nlb: 1, slba: 1, esa: 0, lbacir: 0).validate() == .changeRecordWithoutNamespace)
}

@Test func rangePastTheLastLBA() {
    // Last block = SLBA + NLB (0's based); UInt64.max is the last possible LBA.
    #expect(entry(nlb: 0, slba: .max, esa: 0, lbacir: 0).validate() == nil)
    #expect(entry(nlb: 1, slba: .max - 1, esa: 0, lbacir: 0).validate() == nil)
    #expect(entry(nlb: 1, slba: .max, esa: 0, lbacir: 0).validate()
        == .rangeOverflow(startingLBA: .max, blockCount: 2))
    #expect(entry(nlb: .max, slba: .max - UInt64(UInt32.max) + 1, esa: 0, lbacir: 0).validate() != nil)
    // A whole-namespace entry carries no range to overflow.
    #expect(entry(nlb: .max, slba: .max, esa: 0, lbacir: 1).validate() == nil)
}

@Test func problemDescriptions() {
    #expect(EntryProblem.reservedEntryStatus(5).description == "reserved ESA 5")
    #expect(EntryProblem.reservedLBAChangeIndicator.description == "reserved LBACIR 3")
    #expect(EntryProblem.markerWithLBAChange(.first, .rangeChanged).description
        == "marker (ESA 1) with LBACIR 0, expected 2")
    #expect(EntryProblem.markerWithRange(.lastQueueFull).description
        == "marker (ESA 7) with non-zero NSID, NLB or SLBA")
    #expect(EntryProblem.changeRecordWithoutChange.description == "change record (ESA 0) with LBACIR 2 (no LBA change)")
    #expect(EntryProblem.changeRecordWithoutNamespace.description == "change record with NSID 0")
    #expect(EntryProblem.rangeOverflow(startingLBA: 10, blockCount: 2).description
        == "range of 2 blocks at SLBA 10 runs past the last LBA")
}
