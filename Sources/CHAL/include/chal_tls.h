// CHAL TLS and DTLS: a TLS 1.2 client over a caller's TCP socket (the MQTT upstream) and a DTLS 1.2
// server with pre-shared keys over a caller's UDP socket (`coaps`). See chal.h for the rules.
//
// The cryptography is mbedTLS (Debian's libmbedtls 2.28), never code of ours. A build without it
// (the low firmware profile, where it does not fit the size budget) keeps this header: every call
// then returns CHAL_EOPNOTSUPP and chal_tls_available() returns 0.
//
// Memory: the library allocates (libc calloc) while a connection or a session is set up and while
// it handshakes; a connection or session that is up reads and writes without allocating. Handles
// come from fixed pools (CHAL_TLS_CLIENT_MAX connections, one DTLS server of at most
// CHAL_DTLS_SESSIONS_MAX sessions).
#ifndef CHAL_TLS_H
#define CHAL_TLS_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct chal_address;

/// 1 when this build has TLS and DTLS (mbedTLS linked), 0 when every call here is a stub.
int32_t chal_tls_available(void);

// ---- TLS client ------------------------------------------------------------------------------

/// Most TLS client connections open at once.
#define CHAL_TLS_CLIENT_MAX 4
/// The CA bundle used when `ca_file` is NULL (Debian's ca-certificates).
#define CHAL_TLS_DEFAULT_CA_FILE "/etc/ssl/certs/ca-certificates.crt"

/// How a TLS client connection verifies its server and proves itself. A zero-initialised config
/// means: the system CA bundle, no client certificate, verification on.
typedef struct chal_tls_client_config {
    /// NUL-terminated path of a PEM CA file the server's chain must lead to; NULL = the default.
    const uint8_t *ca_file;
    /// NUL-terminated PEM client certificate (chain) path for mutual TLS; NULL = none.
    const uint8_t *cert_file;
    /// NUL-terminated PEM private key path of `cert_file`; needed exactly when `cert_file` is set.
    const uint8_t *key_file;
    /// 0 (the default): the server certificate must verify. 1: accept any server certificate
    /// (for tests against a throw-away broker only; the connection is then not authenticated).
    int32_t skip_verify;
    int32_t reserved;
} chal_tls_client_config;

/// Starts TLS on the connected (or connecting) non-blocking TCP socket `tcp_fd`, which stays the
/// caller's (chal_tls_close does not close it). `server_name` (NUL-terminated) is sent as SNI and
/// is the name (DNS name or IP address text) the certificate must carry; NULL sends no SNI and
/// checks no name. Reads the CA, certificate and key files now.
/// Returns a handle >= 0, or CHAL_EMFILE (pool full), CHAL_ENOENT/CHAL_EACCES/CHAL_EINVAL (a file
/// missing, unreadable or not PEM; chal_tls_error_text(-1, ...) says which), CHAL_EOPNOTSUPP.
int32_t chal_tls_client_open(const chal_tls_client_config *config, int32_t tcp_fd, const uint8_t *server_name);
/// Advances the handshake. Returns 0 when it is done, CHAL_EAGAIN when it waits for the socket
/// (chal_tls_poll_events says for what), or a negative error: CHAL_EKEYREJECTED when the server's
/// certificate does not verify (the text names the reason, e.g. "not trusted" or "expired"),
/// CHAL_EPROTO for any other handshake failure, CHAL_ECONNRESET when the peer closed, -errno from
/// the socket.
int32_t chal_tls_handshake(int32_t handle);
/// Reads decrypted bytes. Returns the count (> 0), 0 when the peer closed the TLS session,
/// CHAL_EAGAIN when nothing is ready, or a negative error.
int32_t chal_tls_read(int32_t handle, uint8_t *buffer, int32_t capacity);
/// Writes `count` bytes. Returns the bytes taken (> 0, possibly fewer than `count`: call again with
/// the rest), CHAL_EAGAIN when the socket is full (call again with the SAME bytes), or a negative error.
int32_t chal_tls_write(int32_t handle, const uint8_t *bytes, int32_t count);
/// CHAL_POLL_IN and/or CHAL_POLL_OUT: what the connection waits for after CHAL_EAGAIN.
int32_t chal_tls_poll_events(int32_t handle);
/// Sends close_notify (best effort) and frees the handle. The socket stays open. Returns 0 or CHAL_EBADF.
int32_t chal_tls_close(int32_t handle);
/// Why the last call on `handle` failed (handle -1: the last failed chal_tls_client_open), as text
/// without NUL. Returns its length (0 when nothing failed), truncated to `capacity`.
int32_t chal_tls_error_text(int32_t handle, uint8_t *buffer, int32_t capacity);

// ---- DTLS server with pre-shared keys ---------------------------------------------------------

/// Most sessions (handshaking or up) one DTLS server keeps; the profile asks for fewer.
#define CHAL_DTLS_SESSIONS_MAX 64
/// Most identities in the key table, and their longest identity and key.
#define CHAL_DTLS_IDENTITIES_MAX 128
#define CHAL_DTLS_IDENTITY_BYTES_MAX 64
#define CHAL_DTLS_KEY_BYTES_MAX 64

typedef struct chal_dtls_server_config {
    /// Sessions kept at once (1 ... CHAL_DTLS_SESSIONS_MAX). A new client beyond that evicts the
    /// session idle the longest, if it was idle at least `evict_idle_ms`; else it is refused.
    int32_t max_sessions;
    /// A session quiet this long is closed by chal_dtls_tick (0: 10 minutes).
    int32_t idle_timeout_ms;
    /// A session may be evicted for a new client once idle this long (0: 30 s).
    int32_t evict_idle_ms;
    /// Initial handshake retransmission timeout (0: 1000 ms; doubled up to 60 s, RFC 6347 §4.2.4.1).
    int32_t handshake_timeout_ms;
} chal_dtls_server_config;

/// What chal_dtls_input did with a datagram. `plaintext` > 0: an application record was decrypted.
typedef struct chal_dtls_event {
    int32_t session;    // the session's slot, or -1 (the datagram belonged to no session)
    int32_t identity;   // the session's identity index (chal_dtls_psk_add), or -1 while unknown
    int32_t kind;       // CHAL_DTLS_EVENT_*
    int32_t reserved;
} chal_dtls_event;

enum {
    CHAL_DTLS_EVENT_NONE = 0,          // consumed: handshake progress, or a record without data
    CHAL_DTLS_EVENT_DATA = 1,          // plaintext returned
    CHAL_DTLS_EVENT_COOKIE_SENT = 2,   // a ClientHello without a valid cookie: HelloVerifyRequest sent, nothing kept
    CHAL_DTLS_EVENT_ESTABLISHED = 3,   // a handshake finished (the identity is known)
    CHAL_DTLS_EVENT_HANDSHAKE_FAILED = 4, // unknown identity, wrong key, bad message: session dropped
    CHAL_DTLS_EVENT_CLOSED = 5,        // the peer sent close_notify: session dropped
    CHAL_DTLS_EVENT_DROPPED = 6,       // not for us (garbage, replayed, bad MAC, no room): dropped
    CHAL_DTLS_EVENT_REFUSED = 7,       // a new client found every session busy
};

/// Opens the DTLS server on the bound, non-blocking UDP socket `udp_fd` (it stays the caller's;
/// handshake flights and chal_dtls_write go out on it). Suites: TLS_PSK_WITH_AES_128_CCM_8 and
/// TLS_PSK_WITH_AES_128_CCM, DTLS 1.2 only, cookie exchange, anti-replay, session tickets for
/// resumption. Returns the server handle (0; one server per process) or a negative error.
int32_t chal_dtls_server_open(const chal_dtls_server_config *config, int32_t udp_fd);
/// Empties the key table (the sessions that are up keep their keys until they end).
int32_t chal_dtls_psk_clear(int32_t server);
/// Adds one identity and its key; `index` is the caller's number for it, reported back in events.
/// Returns 0, CHAL_ENOSPC (table full), CHAL_EINVAL (empty or too long identity or key).
int32_t chal_dtls_psk_add(int32_t server, const uint8_t *identity, int32_t identity_length,
                          const uint8_t *key, int32_t key_length, int32_t index);
/// Closes every session whose identity index is `index` (-1: every session), e.g. after a key
/// reload removed or changed it. Returns how many were closed.
int32_t chal_dtls_close_identity(int32_t server, int32_t index);
/// Hands one received datagram from `peer` to the server. Handshake answers go out on the socket
/// at once. Returns the plaintext length written to `plaintext` (> 0, event->kind DATA), 0 when
/// nothing is for the application (see event->kind), or CHAL_ENOSPC when a record did not fit
/// `capacity` (dropped). Never allocates for a session that is up.
int32_t chal_dtls_input(int32_t server, const uint8_t *datagram, int32_t length, const struct chal_address *peer,
                        uint8_t *plaintext, int32_t capacity, chal_dtls_event *event);
/// Encrypts `count` bytes as one record to session `session` and sends it. Returns `count`,
/// CHAL_EAGAIN (socket full: dropped, as UDP would), CHAL_EBADF (no such session), or an error.
int32_t chal_dtls_write(int32_t server, int32_t session, const uint8_t *bytes, int32_t count);
/// The peer address of a session (for the caller's duplicate and observer tables). 0 or CHAL_EBADF.
int32_t chal_dtls_session_peer(int32_t server, int32_t session, struct chal_address *out);
/// Drives handshake retransmissions and closes idle sessions; call at least every 100 ms while
/// sessions exist. Returns how many sessions were closed.
int32_t chal_dtls_tick(int32_t server);
/// Sessions in use (handshaking or up), and of those up.
int32_t chal_dtls_session_count(int32_t server, int32_t *established);
/// Counters since open: [0] cookies sent, [1] handshakes done, [2] handshake failures,
/// [3] records dropped, [4] refused (table full), [5] evicted idle, [6] closed by the peer,
/// [7] resumed handshakes. Copies up to `count` values; returns how many.
int32_t chal_dtls_counters(int32_t server, uint64_t *values, int32_t count);
/// Why the last handshake failure or drop happened, as text (no NUL). Returns its length.
int32_t chal_dtls_error_text(int32_t server, uint8_t *buffer, int32_t capacity);
/// Closes every session and the server (the socket stays the caller's). Returns 0.
int32_t chal_dtls_server_close(int32_t server);

#ifdef __cplusplus
}
#endif
#endif
