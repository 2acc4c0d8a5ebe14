print("outpost-bench")
