// CHAL: the hardware/OS abstraction layer of Outpost, and the only platform surface.
//
// Rules (see docs/ARCHITECTURE.md):
// - only <stdint.h> types cross this header, so it imports into Embedded Swift for `-none-` triples;
// - every call that can fail returns a negative errno value (-ENOENT, -EIO, ...) and >= 0 on success;
// - the POSIX implementation lives in chal_posix.c, compiled by the host or the board's gcc;
// - tests inject faults behind this seam, never above it.
#ifndef CHAL_H
#define CHAL_H

#include <stdint.h>

#include "chal_errors.h"  // CHAL_E* error codes and CHAL_SIG* signal numbers

#ifdef __cplusplus
extern "C" {
#endif

// ---- clocks --------------------------------------------------------------------------------
/// Monotonic time in nanoseconds (CLOCK_MONOTONIC).
int64_t chal_monotonic_ns(void);
/// Wall-clock time in milliseconds since the Unix epoch (CLOCK_REALTIME).
int64_t chal_wall_ms(void);

// ---- randomness ----------------------------------------------------------------------------
/// Fills `buffer` with `count` (0 ... 256) bytes from the kernel's random source (getrandom,
/// blocking only until the pool is initialised at boot); returns `count` or -errno.
int64_t chal_random_bytes(uint8_t *buffer, int64_t count);

// ---- process -------------------------------------------------------------------------------
/// Number of command-line arguments given to the process.
int32_t chal_argc(void);
/// Argument `index` as a NUL-terminated byte string (NULL when out of range).
const uint8_t *chal_argv(int32_t index);
/// The NUL-terminated value of environment variable `name` (NUL-terminated), or NULL when unset.
const uint8_t *chal_env(const uint8_t *name);
/// The device and inode of the file open on `fd` (fstat), for matching `JOURNAL_STREAM`.
/// Returns 0 or -errno.
int32_t chal_fd_identity(int32_t fd, uint64_t *device, uint64_t *inode);
/// Ends the process with `status`, flushing nothing (Swift side flushes its own buffers first).
void chal_exit(int32_t status) __attribute__((noreturn));

// ---- files ---------------------------------------------------------------------------------
enum {
    CHAL_OPEN_READ = 0,
    CHAL_OPEN_WRITE_CREATE = 1,   // write only, create, truncate
    CHAL_OPEN_READ_WRITE_CREATE = 2, // read/write, create, keep contents
};
/// Opens the NUL-terminated `path`; returns a descriptor >= 0 or -errno.
int32_t chal_open(const uint8_t *path, int32_t mode);
/// Reads up to `count` bytes; returns the byte count (0 at end of file) or -errno. Retries EINTR.
int64_t chal_read(int32_t fd, uint8_t *buffer, int64_t count);
/// Writes all `count` bytes (looping over short writes); returns `count` or -errno.
int64_t chal_write_all(int32_t fd, const uint8_t *buffer, int64_t count);
/// Closes the descriptor; returns 0 or -errno.
int32_t chal_close(int32_t fd);

// ---- static memory -------------------------------------------------------------------------
/// The statically allocated arena (in .bss) that the daemon carves into its fixed tables once at
/// start-up. Its size is OUTPOST_ARENA_BYTES, chosen per profile at build time.
uint8_t *chal_arena(void);
/// Size of the arena in bytes.
int64_t chal_arena_bytes(void);

#ifdef __cplusplus
}
#endif

// Further surfaces, one header and one .c file each.
#include "chal_storage.h"  // log files: positioned I/O, sync, preallocation
#include "chal_net.h"      // UDP sockets, poll, signals, serial lines
#include "chal_tcp_server.h" // TCP listener and accepted connections (HTTP)
#include "chal_dashboard.h" // the dashboard page served at / over HTTP
#include "chal_notify.h"   // service manager notifications (systemd notify protocol)
#include "chal_tls.h"      // TLS client, DTLS server (mbedTLS)

#endif
