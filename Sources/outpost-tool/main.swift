print("outpost-tool")
