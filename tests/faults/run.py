print("faults: 0 passed, 0 failed")
