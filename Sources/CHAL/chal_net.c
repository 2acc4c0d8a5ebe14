// POSIX implementation of CHAL's network and line surface (see include/chal_net.h).
// Every failure is returned as -errno; nothing here allocates after the first call.
#define _GNU_SOURCE
#include "chal.h"
#include "chal_sockaddr.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

// ---- addresses -------------------------------------------------------------------------------

// Parses a decimal port of 1 to 5 digits; -1 when malformed or above 65535.
static int32_t parse_port(const uint8_t *text, int64_t length) {
    if (length < 1 || length > 5) return -1;
    int32_t port = 0;
    for (int64_t i = 0; i < length; i++) {
        if (text[i] < '0' || text[i] > '9') return -1;
        port = port * 10 + (text[i] - '0');
    }
    return port <= 65535 ? port : -1;
}

int32_t chal_address_parse(const uint8_t *text, int64_t length, chal_address *out) {
    // Long enough for an IPv6 address with a scope name and a port.
    char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
    if (text == 0 || out == 0 || length < 3 || length > 128) return -EINVAL;
    memset(out, 0, sizeof(*out));
    int64_t colon = -1;
    int64_t host_start = 0, host_end;
    if (text[0] == '[') {
        int64_t close = -1;
        for (int64_t i = 1; i < length; i++) {
            if (text[i] == ']') { close = i; break; }
        }
        if (close < 0 || close + 1 >= length || text[close + 1] != ':') return -EINVAL;
        host_start = 1;
        host_end = close;
        colon = close + 1;
        out->family = CHAL_FAMILY_IPV6;
    } else {
        for (int64_t i = length - 1; i >= 0; i--) {
            if (text[i] == ':') { colon = i; break; }
        }
        if (colon <= 0) return -EINVAL;
        host_end = colon;
        out->family = CHAL_FAMILY_IPV4;
    }
    int32_t port = parse_port(text + colon + 1, length - colon - 1);
    if (port < 0) return -EINVAL;
    out->port = (uint16_t)port;
    int64_t host_length = host_end - host_start;
    if (host_length <= 0 || host_length >= (int64_t)sizeof(host)) return -EINVAL;
    memcpy(host, text + host_start, (size_t)host_length);
    host[host_length] = 0;
    if (memchr(host, 0, (size_t)host_length) != 0) return -EINVAL;
    if (out->family == CHAL_FAMILY_IPV4) {
        if (strcmp(host, "localhost") == 0) strcpy(host, "127.0.0.1");
        struct in_addr a;
        if (inet_pton(AF_INET, host, &a) != 1) return -EINVAL;
        memcpy(out->bytes, &a, 4);
        return 0;
    }
    char *percent = strchr(host, '%');
    if (percent != 0) {
        *percent = 0;
        const char *scope = percent + 1;
        if (*scope == 0) return -EINVAL;
        if (scope[0] >= '0' && scope[0] <= '9') {
            int32_t value = parse_port((const uint8_t *)scope, (int64_t)strlen(scope));
            if (value < 0) return -EINVAL;
            out->scope_id = (uint32_t)value;
        } else {
            unsigned index = if_nametoindex(scope);
            if (index == 0) return -EINVAL;
            out->scope_id = index;
        }
    }
    struct in6_addr a6;
    if (inet_pton(AF_INET6, host, &a6) != 1) return -EINVAL;
    memcpy(out->bytes, &a6, 16);
    return 0;
}

int32_t chal_address_format(const chal_address *address, uint8_t *buffer, int32_t capacity) {
    char host[INET6_ADDRSTRLEN];
    char text[INET6_ADDRSTRLEN + 16];
    int n;
    if (address->family == CHAL_FAMILY_IPV4) {
        if (inet_ntop(AF_INET, address->bytes, host, sizeof(host)) == 0) return -errno;
        n = snprintf(text, sizeof(text), "%s:%u", host, (unsigned)address->port);
    } else if (address->family == CHAL_FAMILY_IPV6) {
        if (inet_ntop(AF_INET6, address->bytes, host, sizeof(host)) == 0) return -errno;
        n = snprintf(text, sizeof(text), "[%s]:%u", host, (unsigned)address->port);
    } else {
        return -EINVAL;
    }
    if (n < 0 || n >= capacity) return -ENOSPC;
    memcpy(buffer, text, (size_t)n + 1);
    return n;
}

// ---- UDP sockets -----------------------------------------------------------------------------

int32_t chal_udp_open(const chal_address *address, int32_t receive_buffer_bytes) {
    struct sockaddr_storage s;
    socklen_t length = chal_sockaddr_from_address(address, &s);
    if (length == 0 || receive_buffer_bytes < 0) return -EINVAL;
    int fd = socket(s.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int off = 0, on = 1;
    // SO_REUSEADDR stays off (the default, set explicitly): a second daemon on the same port must
    // fail to start rather than share the traffic.
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &off, sizeof(off)) < 0) goto fail;
    if (s.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0) goto fail;
    if (receive_buffer_bytes > 0) {
        // Best effort: the kernel caps it at net.core.rmem_max.
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes, sizeof(receive_buffer_bytes));
    }
    if (bind(fd, (struct sockaddr *)&s, length) < 0) goto fail;
    return fd;
fail:;
    int error = errno;
    close(fd);
    return -error;
}

int32_t chal_udp_local_address(int32_t fd, chal_address *out) {
    struct sockaddr_storage s;
    socklen_t length = sizeof(s);
    if (getsockname(fd, (struct sockaddr *)&s, &length) < 0) return -errno;
    chal_sockaddr_to_address(&s, out);
    return 0;
}

// ---- TCP streams -----------------------------------------------------------------------------

int32_t chal_tcp_connect(const chal_address *address) {
    if (address == 0) return -EINVAL;
    struct sockaddr_storage s;
    socklen_t length = chal_sockaddr_from_address(address, &s);
    if (length == 0) return -EAFNOSUPPORT;
    int fd = socket(s.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&s, length) < 0 && errno != EINPROGRESS) {
        int error = errno;
        close(fd);
        return -error;
    }
    return fd;
}

int32_t chal_tcp_connect_status(int32_t fd) {
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int ready = poll(&p, 1, 0);
    if (ready < 0) return -errno;
    if (ready == 0) return -EINPROGRESS;
    int error = 0;
    socklen_t size = sizeof(error);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) < 0) return -errno;
    return error == 0 ? 0 : -error;
}

// The kernel-facing headers of one batch. The daemon is single-threaded, so one static set serves
// every socket; it costs no heap and lands in .bss.
static struct mmsghdr batch_headers[CHAL_BATCH_MAX];
static struct iovec batch_vectors[CHAL_BATCH_MAX];
static struct sockaddr_storage batch_addresses[CHAL_BATCH_MAX];

int32_t chal_udp_receive_batch(int32_t fd, chal_datagram *datagrams, int32_t count) {
    if (count <= 0 || count > CHAL_BATCH_MAX) return -EINVAL;
    for (int32_t i = 0; i < count; i++) {
        batch_vectors[i].iov_base = datagrams[i].buffer;
        batch_vectors[i].iov_len = (size_t)datagrams[i].capacity;
        memset(&batch_headers[i], 0, sizeof(batch_headers[i]));
        batch_headers[i].msg_hdr.msg_name = &batch_addresses[i];
        batch_headers[i].msg_hdr.msg_namelen = sizeof(batch_addresses[i]);
        batch_headers[i].msg_hdr.msg_iov = &batch_vectors[i];
        batch_headers[i].msg_hdr.msg_iovlen = 1;
    }
    int n;
    do {
        n = recvmmsg(fd, batch_headers, (unsigned)count, MSG_DONTWAIT, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
    for (int i = 0; i < n; i++) {
        datagrams[i].length = (int32_t)batch_headers[i].msg_len;
        datagrams[i].truncated = (batch_headers[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
        chal_sockaddr_to_address(&batch_addresses[i], &datagrams[i].peer);
    }
    return n;
}

int32_t chal_udp_send_batch(int32_t fd, const chal_datagram *datagrams, int32_t count) {
    if (count < 0 || count > CHAL_BATCH_MAX) return -EINVAL;
    int32_t prepared = 0;
    for (int32_t i = 0; i < count; i++) {
        socklen_t length = chal_sockaddr_from_address(&datagrams[i].peer, &batch_addresses[prepared]);
        if (length == 0) continue;  // no family: nothing to send it to
        batch_vectors[prepared].iov_base = datagrams[i].buffer;
        batch_vectors[prepared].iov_len = (size_t)datagrams[i].length;
        memset(&batch_headers[prepared], 0, sizeof(batch_headers[prepared]));
        batch_headers[prepared].msg_hdr.msg_name = &batch_addresses[prepared];
        batch_headers[prepared].msg_hdr.msg_namelen = length;
        batch_headers[prepared].msg_hdr.msg_iov = &batch_vectors[prepared];
        batch_headers[prepared].msg_hdr.msg_iovlen = 1;
        prepared++;
    }
    int32_t sent = 0, at = 0;
    // Bounded: each pass sends at least one datagram or skips the one the kernel refused.
    while (at < prepared) {
        int n = sendmmsg(fd, batch_headers + at, (unsigned)(prepared - at), MSG_DONTWAIT);
        if (n > 0) {
            sent += n;
            at += n;
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EBADF || errno == ENOTSOCK || errno == EINVAL || errno == EFAULT)) return -errno;
        at += 1;  // this datagram was refused (full buffer, unreachable peer): skip it
    }
    return sent;
}

// ---- poll ------------------------------------------------------------------------------------

// Most descriptors one poll call takes (listeners + serial lines + signals, with room to spare).
#define CHAL_POLL_MAX 64
static struct pollfd poll_set[CHAL_POLL_MAX];

int32_t chal_poll(chal_pollfd *fds, int32_t count, int32_t timeout_ms) {
    if (count < 0 || count > CHAL_POLL_MAX) return -EINVAL;
    for (int32_t i = 0; i < count; i++) {
        poll_set[i].fd = fds[i].fd;
        poll_set[i].events = (short)(((fds[i].events & CHAL_POLL_IN) ? POLLIN : 0) | ((fds[i].events & CHAL_POLL_OUT) ? POLLOUT : 0));
        poll_set[i].revents = 0;
    }
    int n = poll(poll_set, (nfds_t)count, timeout_ms);
    if (n < 0) {
        for (int32_t i = 0; i < count; i++) fds[i].revents = 0;
        return errno == EINTR ? 0 : -errno;
    }
    for (int32_t i = 0; i < count; i++) {
        short r = poll_set[i].revents;
        fds[i].revents = (int16_t)(((r & POLLIN) ? CHAL_POLL_IN : 0) | ((r & POLLOUT) ? CHAL_POLL_OUT : 0) |
                                   ((r & POLLERR) ? CHAL_POLL_ERR : 0) | ((r & POLLHUP) ? CHAL_POLL_HUP : 0) |
                                   ((r & POLLNVAL) ? CHAL_POLL_NVAL : 0));
    }
    return n;
}

// ---- signals ---------------------------------------------------------------------------------

int32_t chal_signals_open(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    // SIGHUP asks for the configuration file to be read again; blocked, it can no longer kill.
    sigaddset(&set, SIGHUP);
    // A peer closing a pty or socket must come back as an error code, not kill the daemon.
    signal(SIGPIPE, SIG_IGN);
    // Growing the log past a file-size limit must come back as EFBIG (handled like a full disk),
    // not kill the daemon.
    signal(SIGXFSZ, SIG_IGN);
    if (sigprocmask(SIG_BLOCK, &set, 0) < 0) return -errno;
    int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int32_t chal_signals_read(int32_t fd) {
    struct signalfd_siginfo info;
    for (;;) {
        ssize_t n = read(fd, &info, sizeof(info));
        if (n == (ssize_t)sizeof(info)) return (int32_t)info.ssi_signo;
        if (n >= 0) return -EIO;
        if (errno == EINTR) continue;
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
    }
}

// ---- serial lines ----------------------------------------------------------------------------

static speed_t baud_constant(int32_t baud) {
    switch (baud) {
    case 9600: return B9600;
    case 19200: return B19200;
    case 38400: return B38400;
    case 57600: return B57600;
    case 115200: return B115200;
    case 230400: return B230400;
    case 460800: return B460800;
    case 921600: return B921600;
    default: return 0;
    }
}

int32_t chal_serial_baud_supported(int32_t baud) { return baud_constant(baud) != 0; }

int32_t chal_serial_open(const uint8_t *path, int32_t baud) {
    speed_t speed = baud_constant(baud);
    if (speed == 0) return -EINVAL;
    int fd = open((const char *)path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct termios t;
    if (tcgetattr(fd, &t) < 0) goto fail;
    cfmakeraw(&t);
    t.c_cflag |= CLOCAL | CREAD;
    t.c_cflag &= ~(tcflag_t)(CSTOPB | PARENB | CRTSCTS);
    t.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    if (cfsetispeed(&t, speed) < 0 || cfsetospeed(&t, speed) < 0) goto fail;
    if (tcsetattr(fd, TCSANOW, &t) < 0) goto fail;
    return fd;
fail:;
    int error = errno;
    close(fd);
    return -error;
}

int64_t chal_read_some(int32_t fd, uint8_t *buffer, int64_t count) {
    for (;;) {
        ssize_t n = read(fd, buffer, (size_t)count);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
}

int64_t chal_write_some(int32_t fd, const uint8_t *buffer, int64_t count) {
    for (;;) {
        ssize_t n = write(fd, buffer, (size_t)count);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
}

// ---- start-up hooks --------------------------------------------------------------------------

// Looked up by name, so a library preloaded by a test can provide them without the daemon
// linking against it; the lookup happens before counting starts and after it stops.
typedef void (*chal_hook)(void);

static chal_hook stop_hook;

void chal_startup_complete(void) {
    // Both hooks are looked up now: dlsym may allocate, which must not count.
    chal_hook start = (chal_hook)dlsym(RTLD_DEFAULT, "outpost_preload_counter_start");
    stop_hook = (chal_hook)dlsym(RTLD_DEFAULT, "outpost_preload_counter_stop");
    if (start != 0) start();
}

void chal_shutdown_begin(void) {
    if (stop_hook != 0) stop_hook();
}
