// The NVMe spec model lives here (issue: foundation).
