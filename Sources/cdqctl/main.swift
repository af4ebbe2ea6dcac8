print("cdqctl")
