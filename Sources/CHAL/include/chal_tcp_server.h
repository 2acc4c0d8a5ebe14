// CHAL TCP server surface: a listening socket and the connections it accepts, all non-blocking
// (see chal.h for the rules). The HTTP server of the daemon runs on it; reads and writes on an
// accepted connection go through chal_tcp_receive / chal_tcp_send (partial transfers allowed).
#ifndef CHAL_TCP_SERVER_H
#define CHAL_TCP_SERVER_H
#include <stdint.h>

#include "chal_net.h"  // chal_address

#ifdef __cplusplus
extern "C" {
#endif

/// Opens a non-blocking, close-on-exec TCP socket bound to `address` (SO_REUSEADDR on, so a
/// restarted daemon binds while old connections sit in TIME_WAIT; IPv6 sockets IPV6_V6ONLY) and
/// listening with a queue of `backlog` pending connections. Returns the descriptor or -errno
/// (-EADDRINUSE, -EADDRNOTAVAIL, ...).
int32_t chal_tcp_listen(const chal_address *address, int32_t backlog);

/// The address a listening socket is bound to (the port the kernel chose for port 0).
/// Returns 0 or -errno.
int32_t chal_tcp_local_address(int32_t fd, chal_address *out);

/// Accepts one pending connection without blocking; the new descriptor is non-blocking and
/// close-on-exec, with TCP_NODELAY (responses are written whole, no need to wait for more).
/// `peer` (may be NULL) receives the client's address. Returns the descriptor, -EAGAIN when none
/// is pending, or -errno (-EMFILE when the process is out of descriptors).
int32_t chal_tcp_accept(int32_t listen_fd, chal_address *peer);

/// Receives up to `count` bytes without blocking. Returns the byte count, 0 when the peer closed
/// its side, -EAGAIN when nothing is waiting, or -errno (-ECONNRESET, ...).
int64_t chal_tcp_receive(int32_t fd, uint8_t *buffer, int64_t count);

/// Sends up to `count` bytes without blocking and without SIGPIPE. Returns the bytes sent
/// (possibly fewer), -EAGAIN when none fit, or -errno (-EPIPE, -ECONNRESET, ...).
int64_t chal_tcp_send(int32_t fd, const uint8_t *buffer, int64_t count);

/// Shuts the sending side of a connection (shutdown SHUT_WR): the peer reads the end of the
/// stream after what was sent, and reading goes on. Returns 0 or -errno.
int32_t chal_tcp_shutdown_send(int32_t fd);

#ifdef __cplusplus
}
#endif
#endif
