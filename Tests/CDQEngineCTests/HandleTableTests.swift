import CCDQEngine
import CDQEngine
import Testing
@testable import CDQEngineC

#if canImport(Glibc)
import Glibc
#endif

/// The C handles: what makes double destroy and use after destroy an
/// error code instead of a use after free.
@Suite struct HandleTableTests {
    final class Thing {}

    @Test func aDestroyedHandleIsRefusedEvenAfterItsSlotIsReused() throws {
        let table = HandleTable<Thing>(kind: 9, name: "thing", capacity: 1)
        let first = try table.insert(Thing())
        try table.remove(first)
        let second = try table.insert(Thing()) // the only slot, again
        #expect(first != second)
        #expect(throws: CAPIError.self) { try table.lookup(first) }
        #expect((try? table.lookup(second)) != nil)
        #expect(errno(of: { () throws(CAPIError) in try table.remove(first) }) == EBADF)
    }

    @Test func aHandleOfAnotherKindOrNullIsRefused() throws {
        let things = HandleTable<Thing>(kind: 9, name: "thing", capacity: 4)
        let others = HandleTable<Thing>(kind: 10, name: "other", capacity: 4)
        let handle = try others.insert(Thing())
        #expect(errno(of: { () throws(CAPIError) in _ = try things.lookup(handle) }) == EBADF)
        #expect(errno(of: { () throws(CAPIError) in _ = try things.lookup(nil) }) == EINVAL)
        #expect(errno(of: { () throws(CAPIError) in _ = try things.lookup(OpaquePointer(bitPattern: 0x1000)) }) == EBADF)
    }

    @Test func aFullTableSaysSoAndARefusedRemovalKeepsTheHandle() throws {
        let table = HandleTable<Thing>(kind: 9, name: "thing", capacity: 2)
        let kept = try table.insert(Thing())
        _ = try table.insert(Thing())
        #expect(errno(of: { () throws(CAPIError) in _ = try table.insert(Thing()) }) == EMFILE)
        #expect(errno(of: { () throws(CAPIError) in try table.remove(kept) { _ in CAPIError(EBUSY, "busy") } }) == EBUSY)
        #expect((try? table.lookup(kept)) != nil)
    }

    @Test func recordsHaveTheHeadersLayout() {
        #expect(RecordLayout.matches)
        #expect(MemoryLayout<cdq_record>.size == 40)
    }

    @Test func messagesAreKeptWholeOrTruncatedToTheBuffer() {
        LastError.set(String(repeating: "x", count: 2 * LastError.capacity))
        #expect(strlen(cdqLastError()) == LastError.capacity - 1)
        LastError.set("short")
        #expect(String(cString: cdqLastError()) == "short")
    }

    private func errno(of body: () throws(CAPIError) -> Void) -> Int32? {
        do { try body(); return nil } catch { return error.errno }
    }
}
