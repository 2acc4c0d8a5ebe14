// CHAL error codes: the negative errno values CHAL calls return, by name (see chal.h for the rules).
//
// Only <stdint.h>-free macros here, so the header imports into Embedded Swift as Int32 constants.
// The values are Linux's generic errno numbers (the same on x86_64, aarch64 and armv7);
// chal_posix.c checks each one against <errno.h> at compile time, so a port to a system with other
// numbers fails to build instead of misreading an error.
#ifndef CHAL_ERRORS_H
#define CHAL_ERRORS_H

#define CHAL_ENOENT (-2)        // no such file or directory
#define CHAL_EINTR (-4)         // interrupted system call
#define CHAL_EIO (-5)           // input/output error (also: a pty whose other side closed)
#define CHAL_EBADF (-9)         // bad file descriptor
#define CHAL_EAGAIN (-11)       // nothing to read / no room to write now (non-blocking)
#define CHAL_EACCES (-13)       // permission denied
#define CHAL_EEXIST (-17)       // file exists
#define CHAL_ENOTDIR (-20)      // not a directory
#define CHAL_EISDIR (-21)       // is a directory
#define CHAL_EINVAL (-22)       // invalid argument (malformed address, unsupported baud)
#define CHAL_EMFILE (-24)       // too many open files
#define CHAL_ENOTTY (-25)       // not a terminal
#define CHAL_EFBIG (-27)        // file too large (a file-size limit)
#define CHAL_ENOSPC (-28)       // no space left on device
#define CHAL_EROFS (-30)        // read-only file system
#define CHAL_ENAMETOOLONG (-36) // file name too long
#define CHAL_EAFNOSUPPORT (-97) // address family not supported
#define CHAL_EADDRINUSE (-98)   // address already in use
#define CHAL_EADDRNOTAVAIL (-99) // address not available
#define CHAL_ECONNRESET (-104)  // connection reset by peer
#define CHAL_ETIMEDOUT (-110)   // connection timed out
#define CHAL_ECONNREFUSED (-111) // connection refused (nothing listens on the port)
#define CHAL_EHOSTUNREACH (-113) // no route to host
#define CHAL_EINPROGRESS (-115) // a non-blocking connect is still in progress
#define CHAL_EDQUOT (-122)      // disk quota exceeded
// TLS and DTLS (chal_tls.h)
#define CHAL_EPROTO (-71)       // protocol error (a TLS/DTLS handshake or record that failed)
#define CHAL_EOPNOTSUPP (-95)   // not supported (a build without TLS)
#define CHAL_ECONNRESET (-104)  // the peer closed or reset the connection
#define CHAL_EKEYREJECTED (-129) // the peer's certificate did not verify

// Signal numbers chal_signals_read returns.
#define CHAL_SIGHUP 1
#define CHAL_SIGINT 2
#define CHAL_SIGTERM 15

#endif
