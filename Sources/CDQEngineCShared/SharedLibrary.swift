// libcdq_engine.so: CDQEngineC linked as a shared library with a versioned
// soname and a linker version script (include/cdq_engine.map) that exports
// the cdq_* functions of include/cdq_engine.h and nothing else. A target of
// its own, so that those linker flags reach this product alone, never the
// static archive, the tests or the executables that use CDQEngineC.
@_exported import CDQEngineC
