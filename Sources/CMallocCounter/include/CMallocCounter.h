// Test support: counts heap allocations made by the process while counting is on.
// The interposed malloc family forwards to glibc's own entry points.
#ifndef CMALLOC_COUNTER_H
#define CMALLOC_COUNTER_H
#include <stdint.h>
/// Starts counting allocations (all threads) from zero.
void malloc_counter_start(void);
/// Stops counting and returns the number of allocations since the last start.
uint64_t malloc_counter_stop(void);
#endif
