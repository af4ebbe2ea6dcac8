// cdq-demo: the engine against the simulated controller. 64 migratable
// controllers with random writers, one engine loop draining their CDQs, one
// consumer thread; a live progress line, then a summary that states what
// was produced, delivered, lost and duplicated.

import Atomics
import CDQEngine
import CDQNVMe
import CDQSimulator
import CDQUring

#if canImport(Glibc)
import Glibc
#endif

let options = DemoOptions.parse(CommandLine.arguments.dropFirst())
do {
    let summary = try Demo(options).run()
    print(summary.text)
    exit(summary.clean ? 0 : 1)
} catch {
    print("cdq-demo: \(error)")
    exit(3)
}
