print("selftest")
