// Minimal C loops that the benchmark compares Outpost's I/O paths with, measured in the same run.
#ifndef CBENCH_BASELINE_H
#define CBENCH_BASELINE_H
#include <stdint.h>

/// Writes `total_bytes` bytes from `chunk` (repeated) sequentially to the already created file at
/// `path` with pwrite, `chunk_bytes` at a time, without syncing. Returns the elapsed nanoseconds,
/// or a negative errno.
int64_t bench_raw_sequential_write(const uint8_t *path, const uint8_t *chunk, int64_t chunk_bytes, int64_t total_bytes);

#endif
