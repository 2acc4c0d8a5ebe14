// CHAL network and lines: UDP sockets, poll, signals, serial ports (see chal.h for the rules).
//
// Only <stdint.h> types cross this header: addresses travel as `chal_address` (family, port,
// 16 address bytes, scope), datagram batches as arrays of `chal_datagram` that point into buffers
// the caller carved once at start-up. Every call returns >= 0 on success or a negative errno.
#ifndef CHAL_NET_H
#define CHAL_NET_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---- addresses -------------------------------------------------------------------------------
enum {
    CHAL_FAMILY_IPV4 = 4,
    CHAL_FAMILY_IPV6 = 6,
};

/// A UDP address. Address bytes are in network order; unused bytes are 0.
typedef struct chal_address {
    uint8_t family;       // CHAL_FAMILY_IPV4 or CHAL_FAMILY_IPV6
    uint8_t reserved;
    uint16_t port;        // host byte order
    uint32_t scope_id;    // IPv6 scope (interface index), 0 otherwise
    uint8_t bytes[16];
} chal_address;

/// Parses `HOST:PORT` (`length` bytes, no NUL needed): HOST is a numeric IPv4 address, `[IPv6]`
/// (with an optional `%scope` given as an interface name or number), or `localhost` (127.0.0.1).
/// PORT is 0...65535. Returns 0, or -EINVAL for malformed text.
int32_t chal_address_parse(const uint8_t *text, int64_t length, chal_address *out);

/// Writes `address` as text (`1.2.3.4:5683` or `[::1]:5683`) into `buffer`, NUL-terminated when
/// there is room. Returns the text length (without NUL), or -ENOSPC.
int32_t chal_address_format(const chal_address *address, uint8_t *buffer, int32_t capacity);

// ---- UDP sockets -----------------------------------------------------------------------------
/// Opens a non-blocking, close-on-exec UDP socket bound to `address` (SO_REUSEADDR off, IPv6
/// sockets IPV6_V6ONLY) and asks for `receive_buffer_bytes` of kernel receive buffer (0 keeps the
/// default; the kernel may give less). Returns the descriptor or -errno (-EADDRINUSE, ...).
int32_t chal_udp_open(const chal_address *address, int32_t receive_buffer_bytes);

/// The address a socket is bound to (the port the kernel chose for port 0). Returns 0 or -errno.
int32_t chal_udp_local_address(int32_t fd, chal_address *out);

/// One datagram of a batch: `buffer` of `capacity` bytes is the caller's; `length` is the bytes
/// received (or to send); `peer` is where it came from (or goes to). `truncated` is set when a
/// received datagram was longer than `capacity` (its tail was lost).
typedef struct chal_datagram {
    uint8_t *buffer;
    int32_t capacity;
    int32_t length;
    chal_address peer;
    int32_t truncated;
    int32_t reserved;
} chal_datagram;

/// Most datagrams one batch call moves (recvmmsg/sendmmsg headers live in static storage).
#define CHAL_BATCH_MAX 512

/// Receives up to `count` (<= CHAL_BATCH_MAX) waiting datagrams with one recvmmsg, without
/// blocking. Returns how many were received (0 when none was waiting) or -errno.
int32_t chal_udp_receive_batch(int32_t fd, chal_datagram *datagrams, int32_t count);

/// Sends `count` (<= CHAL_BATCH_MAX) datagrams with sendmmsg, without blocking. A datagram the
/// kernel refuses (a bad peer, an unreachable network, a full send buffer) is skipped, so one bad
/// peer does not hold up the others. Returns how many were sent, or -errno when the socket itself
/// failed (-EBADF, ...).
int32_t chal_udp_send_batch(int32_t fd, const chal_datagram *datagrams, int32_t count);

// ---- TCP streams (the MQTT upstream) ---------------------------------------------------------
/// Opens a non-blocking, close-on-exec TCP socket (TCP_NODELAY: MQTT packets are small and
/// latency matters more than segment count) and starts connecting it to `address`. Returns the
/// descriptor (the connection may still be in progress: poll it for CHAL_POLL_OUT, then ask
/// chal_tcp_connect_status) or -errno.
int32_t chal_tcp_connect(const chal_address *address);
/// The state of a connect chal_tcp_connect started: 0 connected, CHAL_EINPROGRESS not yet, or
/// the -errno it failed with (CHAL_ECONNREFUSED, CHAL_ETIMEDOUT, CHAL_EHOSTUNREACH, ...).
/// Bytes then move with chal_read_some / chal_write_some (SIGPIPE is ignored by
/// chal_signals_open, so a write to a closed peer returns -EPIPE).
int32_t chal_tcp_connect_status(int32_t fd);

// ---- poll ------------------------------------------------------------------------------------
enum {
    CHAL_POLL_IN = 1,
    CHAL_POLL_OUT = 2,
    CHAL_POLL_ERR = 4,
    CHAL_POLL_HUP = 8,
    CHAL_POLL_NVAL = 16,
};

/// One descriptor of a poll set; a negative `fd` is ignored (its `revents` comes back 0).
typedef struct chal_pollfd {
    int32_t fd;
    int16_t events;    // CHAL_POLL_IN | CHAL_POLL_OUT
    int16_t revents;   // any CHAL_POLL_* flags
} chal_pollfd;

/// Waits until a descriptor is ready or `timeout_ms` passed (0: do not wait). Returns the number
/// of ready descriptors (0 on timeout or EINTR) or -errno.
int32_t chal_poll(chal_pollfd *fds, int32_t count, int32_t timeout_ms);

// ---- signals ---------------------------------------------------------------------------------
/// Blocks SIGINT, SIGTERM and SIGHUP and returns a non-blocking descriptor that becomes readable when one
/// arrives (signalfd); SIGPIPE and SIGXFSZ are ignored. Returns the descriptor or -errno.
int32_t chal_signals_open(void);
/// The next pending signal number (CHAL_SIGINT, CHAL_SIGTERM, CHAL_SIGHUP), 0 when none is pending, or -errno.
int32_t chal_signals_read(int32_t fd);

// ---- serial lines ----------------------------------------------------------------------------
/// Opens the NUL-terminated device `path` read/write, non-blocking, without becoming its
/// controlling terminal, in termios raw mode (8N1, no flow control) at `baud` (9600, 19200, 38400,
/// 57600, 115200, 230400, 460800 or 921600). Returns the descriptor, -EINVAL for another baud, or
/// -errno (-ENOENT when the device is gone, -ENOTTY when it is not a terminal).
int32_t chal_serial_open(const uint8_t *path, int32_t baud);
/// True (1) when `baud` is one chal_serial_open accepts, else 0.
int32_t chal_serial_baud_supported(int32_t baud);

/// Reads up to `count` bytes without blocking. Returns the byte count, 0 at end of file (a pty
/// whose other side closed reads as -EIO instead), -EAGAIN when nothing is waiting, or -errno.
int64_t chal_read_some(int32_t fd, uint8_t *buffer, int64_t count);
/// Writes up to `count` bytes without blocking. Returns the bytes written (possibly fewer),
/// -EAGAIN when none fit, or -errno.
int64_t chal_write_some(int32_t fd, const uint8_t *buffer, int64_t count);

// ---- start-up hooks --------------------------------------------------------------------------
/// Called once by the daemon when start-up is over (everything carved, sockets open): from here
/// on nothing may allocate. When a test preloads a malloc counter that defines
/// `outpost_preload_counter_start`, this starts it; otherwise it does nothing.
void chal_startup_complete(void);
/// Called once by the daemon just before it exits: stops a preloaded counter
/// (`outpost_preload_counter_stop`), which reports its count. Does nothing otherwise.
void chal_shutdown_begin(void);

#ifdef __cplusplus
}
#endif
#endif
