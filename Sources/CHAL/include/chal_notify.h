// CHAL: service manager notifications (systemd's notify protocol, without libsystemd).
//
// The protocol is one datagram of `KEY=VALUE` lines (READY=1, STATUS=..., WATCHDOG=1, STOPPING=1,
// RELOADING=1) sent to the AF_UNIX datagram socket named by $NOTIFY_SOCKET; a name starting with
// '@' is in the abstract namespace (the '@' becomes a NUL byte). Without $NOTIFY_SOCKET every call
// is a no-op, so the daemon runs the same under a shell, a test or another supervisor.
#ifndef CHAL_NOTIFY_H
#define CHAL_NOTIFY_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Reads $NOTIFY_SOCKET and opens the datagram socket that carries the notifications (once, at
/// start-up). Returns 1 when notifications will be sent, 0 when $NOTIFY_SOCKET is unset or empty,
/// -EINVAL for a name that is not an absolute path or '@'-name or is longer than sun_path, or the
/// socket's -errno.
int32_t chal_notify_open(void);

/// Sends `length` bytes (one or more `KEY=VALUE` lines separated by '\n') as one datagram.
/// Returns 0 (also when notifications are off) or -errno; never blocks (MSG_DONTWAIT: a service
/// manager that does not read must not stop the loop).
int32_t chal_notify_send(const uint8_t *text, int64_t length);

/// The watchdog period the service manager asks for, in microseconds: $WATCHDOG_USEC when it is a
/// positive number and $WATCHDOG_PID is unset or this process's id; else 0 (no watchdog).
int64_t chal_notify_watchdog_usec(void);

/// Closes the notification socket (at exit).
void chal_notify_close(void);

#ifdef __cplusplus
}
#endif
#endif
