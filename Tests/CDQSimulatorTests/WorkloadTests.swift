import CDQSimulator
import Testing

struct InvalidWorkloadSpec: Sendable, CustomTestStringConvertible {
    var spec: WorkloadSpec
    var problemMentions: String
    var testDescription: String { problemMentions }
}

@Suite struct WorkloadTests {
    @Test func theDefaultSpecIsValidAndMostlyPageSized() {
        let spec = WorkloadSpec()
        #expect(spec.problem == nil)
        #expect(spec.pattern == .uniform && spec.writesPerSecond == nil && spec.deallocateFraction == 0 && spec.storesData)
        #expect(spec.blockSizes.map(\.blockCount) == [8, 1, 64])
        #expect(spec.blockSizes.map(\.weight) == [0.7, 0.2, 0.1])
    }

    @Test func edgeValuesAreValid() {
        let one = [BlockSizeWeight(blockCount: 1, weight: 1)]
        let largest = [BlockSizeWeight(blockCount: WorkloadSpec.maximumBlockCount, weight: 1e-9)]
        let many = (1 ... 64).map { BlockSizeWeight(blockCount: UInt32($0), weight: 1) }
        #expect(WorkloadSpec(blockSizes: one, deallocateFraction: 1).problem == nil)
        #expect(WorkloadSpec(blockSizes: largest, writesPerSecond: 0.001).problem == nil)
        #expect(WorkloadSpec(blockSizes: many).problem == nil)
        #expect(WorkloadSpec(pattern: .hotSpot(hotFraction: 1, hotProbability: 0)).problem == nil)
        #expect(WorkloadSpec(pattern: .hotSpot(hotFraction: 1e-6, hotProbability: 1)).problem == nil)
    }

    @Test(arguments: [
        InvalidWorkloadSpec(spec: WorkloadSpec(blockSizes: []), problemMentions: "empty"),
        InvalidWorkloadSpec(
            spec: WorkloadSpec(blockSizes: (1 ... 65).map { BlockSizeWeight(blockCount: UInt32($0), weight: 1) }),
            problemMentions: "65 entries"),
        InvalidWorkloadSpec(spec: WorkloadSpec(blockSizes: [BlockSizeWeight(blockCount: 0, weight: 1)]), problemMentions: "block count 0"),
        InvalidWorkloadSpec(spec: WorkloadSpec(blockSizes: [BlockSizeWeight(blockCount: 65537, weight: 1)]), problemMentions: "block count 65537"),
        InvalidWorkloadSpec(spec: WorkloadSpec(blockSizes: [BlockSizeWeight(blockCount: 8, weight: 0)]), problemMentions: "weight 0.0"),
        InvalidWorkloadSpec(spec: WorkloadSpec(blockSizes: [BlockSizeWeight(blockCount: 8, weight: -1)]), problemMentions: "weight -1.0"),
        InvalidWorkloadSpec(spec: WorkloadSpec(blockSizes: [BlockSizeWeight(blockCount: 8, weight: .nan)]), problemMentions: "weight nan"),
        InvalidWorkloadSpec(spec: WorkloadSpec(blockSizes: [BlockSizeWeight(blockCount: 8, weight: .infinity)]), problemMentions: "weight inf"),
        InvalidWorkloadSpec(spec: WorkloadSpec(pattern: .hotSpot(hotFraction: 0, hotProbability: 0.5)), problemMentions: "hot fraction 0.0"),
        InvalidWorkloadSpec(spec: WorkloadSpec(pattern: .hotSpot(hotFraction: 1.5, hotProbability: 0.5)), problemMentions: "hot fraction 1.5"),
        InvalidWorkloadSpec(spec: WorkloadSpec(pattern: .hotSpot(hotFraction: 0.2, hotProbability: -0.1)), problemMentions: "hot probability -0.1"),
        InvalidWorkloadSpec(spec: WorkloadSpec(pattern: .hotSpot(hotFraction: 0.2, hotProbability: .nan)), problemMentions: "hot probability nan"),
        InvalidWorkloadSpec(spec: WorkloadSpec(writesPerSecond: 0), problemMentions: "rate 0.0"),
        InvalidWorkloadSpec(spec: WorkloadSpec(writesPerSecond: -5), problemMentions: "rate -5.0"),
        InvalidWorkloadSpec(spec: WorkloadSpec(writesPerSecond: .infinity), problemMentions: "rate inf"),
        InvalidWorkloadSpec(spec: WorkloadSpec(deallocateFraction: 1.01), problemMentions: "deallocate fraction 1.01"),
        InvalidWorkloadSpec(spec: WorkloadSpec(deallocateFraction: -0.5), problemMentions: "deallocate fraction -0.5"),
    ])
    func invalidSpecsNameTheirProblem(invalid: InvalidWorkloadSpec) {
        let problem = invalid.spec.problem
        #expect(problem?.contains(invalid.problemMentions) == true, "\(problem ?? "no problem reported")")
    }
}
