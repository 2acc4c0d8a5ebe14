// TLS 1.2 client over a caller's non-blocking TCP socket, on mbedTLS (see include/chal_tls.h).
#define _GNU_SOURCE
#include "chal.h"
#include "chal_tls_internal.h"

#include <errno.h>
#include <string.h>

#ifdef CHAL_WITH_MBEDTLS
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h> // only its error codes: the socket is ours
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <stdio.h>
#include <sys/socket.h>

/// One connection of the fixed pool. Everything the library needs lives here (no per-call state).
typedef struct tls_client {
    int used;
    int fd;
    int wants;         // CHAL_POLL_IN / CHAL_POLL_OUT after the last WANT_READ / WANT_WRITE
    int socket_errno;  // the errno of the last failed send/recv
    int has_cert;
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca;
    mbedtls_x509_crt cert;
    mbedtls_pk_context key;
    char error[256];
} tls_client;

static tls_client clients[CHAL_TLS_CLIENT_MAX];
/// Why the last chal_tls_client_open failed (it has no handle to keep it in).
static char open_error[256];

static tls_client *client_at(int32_t handle) {
    if (handle < 0 || handle >= CHAL_TLS_CLIENT_MAX || !clients[handle].used) return 0;
    return &clients[handle];
}

// The socket side of the connection: non-blocking, so "would block" becomes WANT_READ/WANT_WRITE
// and the caller polls. A socket still connecting counts as "would block" too.
static int bio_send(void *context, const unsigned char *bytes, size_t count) {
    tls_client *c = context;
    ssize_t n = send(c->fd, bytes, count, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return (int)n;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ENOTCONN || errno == EINPROGRESS) {
        c->wants = CHAL_POLL_OUT;
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    }
    c->socket_errno = errno;
    return errno == EPIPE || errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *context, unsigned char *buffer, size_t capacity) {
    tls_client *c = context;
    ssize_t n = recv(c->fd, buffer, capacity, MSG_DONTWAIT);
    if (n >= 0) return (int)n; // 0: the peer closed the TCP stream (the library reports EOF)
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ENOTCONN || errno == EINPROGRESS) {
        c->wants = CHAL_POLL_IN;
        return MBEDTLS_ERR_SSL_WANT_READ;
    }
    c->socket_errno = errno;
    return errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET : MBEDTLS_ERR_NET_RECV_FAILED;
}

// Loads a PEM file the library parses into `what`; on failure writes why into open_error.
static int32_t load_failed(const char *what, const uint8_t *path, int ret) {
    char prefix[200];
    snprintf(prefix, sizeof(prefix), "%s %s", what, (const char *)path);
    chal_tls_describe(open_error, sizeof(open_error), prefix, ret);
    if (ret == MBEDTLS_ERR_PK_FILE_IO_ERROR || ret == MBEDTLS_ERR_X509_FILE_IO_ERROR) {
        // The library does not say whether the file is missing or unreadable; errno still does.
        return errno == ENOENT ? CHAL_ENOENT : errno == EACCES ? CHAL_EACCES : CHAL_EIO;
    }
    return CHAL_EINVAL;
}

static void client_free(tls_client *c) {
    mbedtls_ssl_free(&c->ssl);
    mbedtls_ssl_config_free(&c->conf);
    mbedtls_x509_crt_free(&c->ca);
    mbedtls_x509_crt_free(&c->cert);
    mbedtls_pk_free(&c->key);
    c->used = 0;
}

int32_t chal_tls_client_open(const chal_tls_client_config *config, int32_t tcp_fd, const uint8_t *server_name) {
    open_error[0] = 0;
    if (tcp_fd < 0) {
        snprintf(open_error, sizeof(open_error), "tls: no socket");
        return CHAL_EBADF;
    }
    static const chal_tls_client_config defaults;
    if (config == 0) config = &defaults;
    if ((config->cert_file == 0) != (config->key_file == 0)) {
        snprintf(open_error, sizeof(open_error), "tls: a client certificate needs its key and a key its certificate");
        return CHAL_EINVAL;
    }
    int32_t handle = -1;
    for (int32_t i = 0; i < CHAL_TLS_CLIENT_MAX; i++) {
        if (!clients[i].used) { handle = i; break; }
    }
    if (handle < 0) {
        snprintf(open_error, sizeof(open_error), "tls: all %d connections in use", CHAL_TLS_CLIENT_MAX);
        return CHAL_EMFILE;
    }
    mbedtls_ctr_drbg_context *drbg = chal_tls_drbg();
    if (drbg == 0) {
        snprintf(open_error, sizeof(open_error), "tls: the random generator could not be seeded");
        return CHAL_EIO;
    }
    tls_client *c = &clients[handle];
    memset(c, 0, sizeof(*c));
    c->used = 1;
    c->fd = tcp_fd;
    mbedtls_ssl_init(&c->ssl);
    mbedtls_ssl_config_init(&c->conf);
    mbedtls_x509_crt_init(&c->ca);
    mbedtls_x509_crt_init(&c->cert);
    mbedtls_pk_init(&c->key);

    const uint8_t *ca_file = config->ca_file ? config->ca_file : (const uint8_t *)CHAL_TLS_DEFAULT_CA_FILE;
    int ret = mbedtls_x509_crt_parse_file(&c->ca, (const char *)ca_file);
    // A positive result counts certificates the bundle holds that did not parse; the others load.
    if (ret < 0 || c->ca.version == 0) {
        int32_t code = load_failed("tls: CA file", ca_file, ret < 0 ? ret : MBEDTLS_ERR_X509_INVALID_FORMAT);
        client_free(c);
        return code;
    }
    if (config->cert_file) {
        ret = mbedtls_x509_crt_parse_file(&c->cert, (const char *)config->cert_file);
        if (ret != 0) {
            int32_t code = load_failed("tls: client certificate", config->cert_file, ret < 0 ? ret : MBEDTLS_ERR_X509_INVALID_FORMAT);
            client_free(c);
            return code;
        }
        ret = mbedtls_pk_parse_keyfile(&c->key, (const char *)config->key_file, 0);
        if (ret != 0) {
            int32_t code = load_failed("tls: client key", config->key_file, ret);
            client_free(c);
            return code;
        }
        c->has_cert = 1;
    }
    ret = mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret == 0) {
        mbedtls_ssl_conf_rng(&c->conf, mbedtls_ctr_drbg_random, drbg);
        // TLS 1.2 only: mbedTLS 2.28 has no TLS 1.3, and 1.0/1.1 are deprecated (RFC 8996).
        mbedtls_ssl_conf_min_version(&c->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
        mbedtls_ssl_conf_authmode(&c->conf, config->skip_verify ? MBEDTLS_SSL_VERIFY_NONE : MBEDTLS_SSL_VERIFY_REQUIRED);
        mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, 0);
        if (c->has_cert) ret = mbedtls_ssl_conf_own_cert(&c->conf, &c->cert, &c->key);
    }
    if (ret == 0) ret = mbedtls_ssl_setup(&c->ssl, &c->conf);
    if (ret == 0 && server_name) ret = mbedtls_ssl_set_hostname(&c->ssl, (const char *)server_name);
    if (ret != 0) {
        chal_tls_describe(open_error, sizeof(open_error), "tls: set-up", ret);
        client_free(c);
        return ret == MBEDTLS_ERR_SSL_ALLOC_FAILED ? CHAL_ENOSPC : CHAL_EINVAL;
    }
    mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, 0);
    c->wants = CHAL_POLL_OUT;
    return handle;
}

// Turns a library result into a CHAL code, keeping the reason as the handle's error text.
static int32_t fail(tls_client *c, const char *during, int ret) {
    if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) return CHAL_EAGAIN;
    if (ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
        char reasons[200];
        uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);
        int n = mbedtls_x509_crt_verify_info(reasons, sizeof(reasons), "", flags);
        // One reason per line from the library: join them on one line.
        for (int i = 0; i < n && reasons[i]; i++) {
            if (reasons[i] == '\n') reasons[i] = (i + 1 < n && reasons[i + 1]) ? ';' : 0;
        }
        if (n <= 0) snprintf(reasons, sizeof(reasons), "flags 0x%x", (unsigned)flags);
        snprintf(c->error, sizeof(c->error), "tls %s: server certificate rejected: %s", during, reasons);
        return CHAL_EKEYREJECTED;
    }
    if (c->socket_errno != 0 && (ret == MBEDTLS_ERR_NET_SEND_FAILED || ret == MBEDTLS_ERR_NET_RECV_FAILED || ret == MBEDTLS_ERR_NET_CONN_RESET)) {
        snprintf(c->error, sizeof(c->error), "tls %s: socket: %s", during, strerror(c->socket_errno));
        int code = -c->socket_errno;
        c->socket_errno = 0;
        return code;
    }
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "tls %s", during);
    chal_tls_describe(c->error, sizeof(c->error), prefix, ret);
    if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == MBEDTLS_ERR_NET_CONN_RESET || ret == MBEDTLS_ERR_SSL_CONN_EOF) return CHAL_ECONNRESET;
    return CHAL_EPROTO;
}

int32_t chal_tls_handshake(int32_t handle) {
    tls_client *c = client_at(handle);
    if (c == 0) return CHAL_EBADF;
    int ret = mbedtls_ssl_handshake(&c->ssl);
    if (ret == 0) {
        c->wants = CHAL_POLL_IN;
        return 0;
    }
    return fail(c, "handshake", ret);
}

int32_t chal_tls_read(int32_t handle, uint8_t *buffer, int32_t capacity) {
    tls_client *c = client_at(handle);
    if (c == 0) return CHAL_EBADF;
    if (buffer == 0 || capacity <= 0) return CHAL_EINVAL;
    int ret = mbedtls_ssl_read(&c->ssl, buffer, (size_t)capacity);
    if (ret > 0) return ret;
    if (ret == 0 || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) return 0;
    return fail(c, "read", ret);
}

int32_t chal_tls_write(int32_t handle, const uint8_t *bytes, int32_t count) {
    tls_client *c = client_at(handle);
    if (c == 0) return CHAL_EBADF;
    if (bytes == 0 || count <= 0) return CHAL_EINVAL;
    int ret = mbedtls_ssl_write(&c->ssl, bytes, (size_t)count);
    if (ret > 0) return ret;
    return fail(c, "write", ret);
}

int32_t chal_tls_poll_events(int32_t handle) {
    tls_client *c = client_at(handle);
    if (c == 0) return CHAL_EBADF;
    // Records the library decrypted but the caller has not read yet are ready without the socket.
    return c->wants;
}

int32_t chal_tls_close(int32_t handle) {
    tls_client *c = client_at(handle);
    if (c == 0) return CHAL_EBADF;
    (void)mbedtls_ssl_close_notify(&c->ssl);
    client_free(c);
    return 0;
}

int32_t chal_tls_error_text(int32_t handle, uint8_t *buffer, int32_t capacity) {
    const char *text;
    if (handle == -1) {
        text = open_error;
    } else {
        tls_client *c = client_at(handle);
        if (c == 0) return CHAL_EBADF;
        text = c->error;
    }
    if (buffer == 0 || capacity <= 0) return 0;
    int32_t n = (int32_t)strnlen(text, 256);
    if (n > capacity) n = capacity;
    memcpy(buffer, text, (size_t)n);
    return n;
}

#else // A build without mbedTLS: the same surface, every call refused.

static const char no_tls[] = "tls: this build has no TLS (mbedTLS not linked)";

int32_t chal_tls_client_open(const chal_tls_client_config *config, int32_t tcp_fd, const uint8_t *server_name) {
    (void)config; (void)tcp_fd; (void)server_name;
    return CHAL_EOPNOTSUPP;
}
int32_t chal_tls_handshake(int32_t handle) { (void)handle; return CHAL_EOPNOTSUPP; }
int32_t chal_tls_read(int32_t handle, uint8_t *buffer, int32_t capacity) { (void)handle; (void)buffer; (void)capacity; return CHAL_EOPNOTSUPP; }
int32_t chal_tls_write(int32_t handle, const uint8_t *bytes, int32_t count) { (void)handle; (void)bytes; (void)count; return CHAL_EOPNOTSUPP; }
int32_t chal_tls_poll_events(int32_t handle) { (void)handle; return CHAL_EOPNOTSUPP; }
int32_t chal_tls_close(int32_t handle) { (void)handle; return CHAL_EOPNOTSUPP; }
int32_t chal_tls_error_text(int32_t handle, uint8_t *buffer, int32_t capacity) {
    (void)handle;
    if (buffer == 0 || capacity <= 0) return 0;
    int32_t n = (int32_t)sizeof(no_tls) - 1;
    if (n > capacity) n = capacity;
    memcpy(buffer, no_tls, (size_t)n);
    return n;
}
#endif
