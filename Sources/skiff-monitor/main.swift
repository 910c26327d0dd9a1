print("skiff-monitor")
