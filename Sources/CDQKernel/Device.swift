import CDQNVMe
