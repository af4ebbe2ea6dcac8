import CDQUring
import Testing

@Suite struct UserDataTests {
    @Test func roundTripsEveryField() {
        let tag = UserData(kind: 0xA5, generation: 0xBEEF, index: 0xDEAD_BEEF)
        #expect(tag.rawValue == 0xA5BE_EF00_DEAD_BEEF)
        #expect(UserData(rawValue: tag.rawValue) == tag)
    }

    @Test func decodingForeignValuesIgnoresTheSpareBits() {
        let tag = UserData(rawValue: 0x0100_00FF_0000_0002)
        #expect(tag.kind == 1)
        #expect(tag.generation == 0)
        #expect(tag.index == 2)
    }

    @Test func generationTableRecognisesStaleTags() {
        let table = GenerationTable(slots: 4)
        let first = table.tag(kind: 3, slot: 2)
        let firstIsCurrent = table.isCurrent(first)
        #expect(firstIsCurrent)
        table.advance(slot: 2)
        let staleIsCurrent = table.isCurrent(first)
        #expect(!staleIsCurrent, "a tag from before the slot was reused must be stale")
        let second = table.tag(kind: 3, slot: 2)
        let secondIsCurrent = table.isCurrent(second)
        #expect(secondIsCurrent)
        #expect(second.generation == first.generation &+ 1)
        let otherIsCurrent = table.isCurrent(table.tag(kind: 3, slot: 1))
        #expect(otherIsCurrent, "other slots are unaffected")
        let outOfRange = table.isCurrent(UserData(kind: 3, index: 99))
        #expect(!outOfRange, "an index out of range is never current")
    }

    @Test func generationsWrapWithoutTrapping() {
        let table = GenerationTable(slots: 1)
        for _ in 0..<70_000 { table.advance(slot: 0) }
        let generation = table.tag(kind: 0, slot: 0).generation
        #expect(generation == UInt16(70_000 % 65_536))
    }

    @Test func systemErrorsCarryTheErrnoName() {
        let error = SystemError("open /dev/nvme9", errno: 2)
        #expect(error.errnoName == "ENOENT")
        #expect(error.description == "open /dev/nvme9: ENOENT (No such file or directory)")
        #expect(SystemError("x", negatedErrno: -95).errnoName == "EOPNOTSUPP")
        #expect(SystemError("x", errno: 4242).errnoName == "errno 4242")
    }
}
