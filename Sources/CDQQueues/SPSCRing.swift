// Bounded lock-free rings live here.
