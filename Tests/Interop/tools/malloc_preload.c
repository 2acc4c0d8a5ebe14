// LD_PRELOAD glue for the zero-allocation proof through real sockets. Built into one shared
// library together with Sources/CMallocCounter/malloc_counter.c (the malloc family interposer):
//
//   gcc -shared -fPIC -O2 Sources/CMallocCounter/malloc_counter.c Tests/Interop/tools/malloc_preload.c
//       -ISources/CMallocCounter/include -o libmalloc_preload.so
//
// The daemon's CHAL looks these two hooks up by name when start-up is over
// (chal_startup_complete) and before it exits (chal_shutdown_begin). The stop hook writes
// `allocations_after_startup N` to the file named by OUTPOST_MALLOC_REPORT (or standard error).
// SIGUSR2 starts the count from zero again: a test that sets up state first (DTLS sessions) counts
// only what follows (test_dtls.py).
#define _GNU_SOURCE
#include "CMallocCounter.h"
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int started;

// Async-signal-safe: the counter is a pair of atomics.
static void restart_on_signal(int signal) {
    (void)signal;
    started = 1;
    malloc_counter_start();
}

__attribute__((constructor)) static void install_restart(void) {
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = restart_on_signal;
    action.sa_flags = SA_RESTART;
    sigaction(SIGUSR2, &action, 0);
}

void outpost_preload_counter_start(void) {
    started = 1;
    malloc_counter_start();
}

void outpost_preload_counter_stop(void) {
    uint64_t count = malloc_counter_stop();
    char line[96];
    int n = snprintf(line, sizeof(line), "%s %llu\n", started ? "allocations_after_startup" : "allocations_never_started",
                     (unsigned long long)count);
    const char *path = getenv("OUTPOST_MALLOC_REPORT");
    int fd = path ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : 2;
    if (fd < 0) fd = 2;
    if (n > 0) (void)!write(fd, line, (size_t)n);
    if (fd != 2) close(fd);
}
