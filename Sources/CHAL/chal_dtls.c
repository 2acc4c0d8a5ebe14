// DTLS 1.2 server with pre-shared keys over a caller's UDP socket, on mbedTLS (include/chal_tls.h).
//
// State is kept per client only after a ClientHello came back with a valid cookie (RFC 6347
// §4.2.1): every new peer is first handled by one shared "lobby" context that answers with a
// HelloVerifyRequest and is reset; only a ClientHello that proves the peer receives at its
// address moves the lobby into the session table, and another free slot becomes the lobby.
// Spoofed floods therefore never take a session slot. Each slot's library context, with its
// record buffers, is set up once and reset for reuse, so a full table allocates only while
// handshaking; records of a session that is up are decrypted and encrypted without allocating.
#define _GNU_SOURCE
#include "chal.h"
#include "chal_tls_internal.h"
#include "chal_sockaddr.h"

#include <errno.h>
#include <string.h>

#ifdef CHAL_WITH_MBEDTLS
#include <arpa/inet.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/ssl_cookie.h>
#include <mbedtls/ssl_internal.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

enum { SLOT_FREE = 0, SLOT_HANDSHAKE = 1, SLOT_UP = 2 };

typedef struct dtls_session {
    int state;
    int setup;          // mbedtls_ssl_setup done: buffers allocated, reset for reuse
    int32_t identity;   // key table index of the client's identity, -1 until known
    int64_t last_ms;    // last datagram from the peer (idle eviction)
    int64_t started_ms; // when the handshake began
    // Handshake retransmission timer (mbedtls_ssl_set_timer_cb).
    int64_t timer_start_ms;
    uint32_t timer_int_ms, timer_fin_ms;
    chal_address peer;
    struct sockaddr_storage address;
    socklen_t address_length;
    mbedtls_ssl_context ssl;
} dtls_session;

typedef struct dtls_identity {
    int32_t index;
    uint8_t identity_length, key_length;
    uint8_t identity[CHAL_DTLS_IDENTITY_BYTES_MAX];
    uint8_t key[CHAL_DTLS_KEY_BYTES_MAX];
} dtls_identity;

/// Which identity a cached session (resumable by its session ID) belongs to: a resumed handshake
/// skips the PSK exchange, so the identity must come from the session that was resumed.
typedef struct dtls_resumable {
    uint8_t id_length;
    uint8_t id[32];
    int32_t identity;
} dtls_resumable;

#define RESUMABLE_MAX (2 * CHAL_DTLS_SESSIONS_MAX)

static struct {
    int open;
    int fd;
    chal_dtls_server_config config;
    mbedtls_ssl_config conf;
    mbedtls_ssl_cookie_ctx cookies;
    mbedtls_ssl_cache_context cache;
    // One extra slot: the lobby.
    dtls_session slots[CHAL_DTLS_SESSIONS_MAX + 1];
    int lobby;
    // The datagram chal_dtls_input is handing to the library (consumed by bio_recv).
    const uint8_t *input;
    int32_t input_length;
    dtls_session *input_session;
    dtls_identity identities[CHAL_DTLS_IDENTITIES_MAX];
    int32_t identity_count;
    dtls_resumable resumable[RESUMABLE_MAX];
    int32_t resumable_next;
    uint64_t counters[8];
    char error[256];
} server;

enum { C_COOKIES, C_DONE, C_FAILED, C_DROPPED, C_REFUSED, C_EVICTED, C_CLOSED, C_RESUMED };

static const int suites[] = {MBEDTLS_TLS_PSK_WITH_AES_128_CCM_8, MBEDTLS_TLS_PSK_WITH_AES_128_CCM, 0};

// ---- the socket and the clock, as the library sees them ------------------------------------------

static int bio_send(void *context, const unsigned char *bytes, size_t count) {
    dtls_session *s = context;
    ssize_t n = sendto(server.fd, bytes, count, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&s->address, s->address_length);
    if (n >= 0) return (int)n;
    // A full socket loses the datagram as UDP would; the handshake timer sends the flight again.
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return (int)count;
    return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
}

static int bio_recv(void *context, unsigned char *buffer, size_t capacity) {
    dtls_session *s = context;
    if (server.input == 0 || server.input_session != s) return MBEDTLS_ERR_SSL_WANT_READ;
    if ((size_t)server.input_length > capacity) {
        server.input = 0;
        return MBEDTLS_ERR_SSL_WANT_READ; // larger than any record we accept: dropped
    }
    memcpy(buffer, server.input, (size_t)server.input_length);
    int n = server.input_length;
    server.input = 0;
    return n;
}

static void timer_set(void *context, uint32_t int_ms, uint32_t fin_ms) {
    dtls_session *s = context;
    s->timer_int_ms = int_ms;
    s->timer_fin_ms = fin_ms;
    s->timer_start_ms = chal_tls_now_ms();
}

static int timer_get(void *context) {
    dtls_session *s = context;
    if (s->timer_fin_ms == 0) return -1;
    int64_t elapsed = chal_tls_now_ms() - s->timer_start_ms;
    if (elapsed >= (int64_t)s->timer_fin_ms) return 2;
    if (elapsed >= (int64_t)s->timer_int_ms) return 1;
    return 0;
}

// ---- keys ----------------------------------------------------------------------------------------

static int psk_lookup(void *context, mbedtls_ssl_context *ssl, const unsigned char *identity, size_t length) {
    (void)context;
    for (int32_t i = 0; i < server.identity_count; i++) {
        dtls_identity *entry = &server.identities[i];
        if (entry->identity_length == length && memcmp(entry->identity, identity, length) == 0) {
            for (int j = 0; j <= CHAL_DTLS_SESSIONS_MAX; j++) {
                if (&server.slots[j].ssl == ssl) server.slots[j].identity = entry->index;
            }
            return mbedtls_ssl_set_hs_psk(ssl, entry->key, entry->key_length);
        }
    }
    // The identity as text in the reason, made printable.
    char shown[CHAL_DTLS_IDENTITY_BYTES_MAX + 1];
    size_t n = length < CHAL_DTLS_IDENTITY_BYTES_MAX ? length : CHAL_DTLS_IDENTITY_BYTES_MAX;
    for (size_t i = 0; i < n; i++) shown[i] = (identity[i] >= 0x20 && identity[i] < 0x7f) ? (char)identity[i] : '?';
    shown[n] = 0;
    snprintf(server.error, sizeof(server.error), "dtls: unknown PSK identity '%s'", shown);
    return -1;
}

// ---- sessions ------------------------------------------------------------------------------------

static int same_peer(const chal_address *a, const chal_address *b) {
    return a->family == b->family && a->port == b->port && a->scope_id == b->scope_id && memcmp(a->bytes, b->bytes, 16) == 0;
}

// Gives the whole pages inside [bytes, bytes + count) back to the kernel. Only for memory that
// must read as zeros: a private anonymous page given back reads as zeros again and becomes
// resident only when written.
static void release_zero_pages(void *bytes, size_t count) {
    long page = sysconf(_SC_PAGESIZE);
    if (bytes == 0 || page <= 0) return;
    uintptr_t start = ((uintptr_t)bytes + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    uintptr_t end = ((uintptr_t)bytes + count) & ~((uintptr_t)page - 1);
    if (end > start) (void)madvise((void *)start, end - start, MADV_DONTNEED);
}

// Makes slot `s` ready for a new client at `peer`: set up once, reset after that.
static int slot_prepare(dtls_session *s, const chal_address *peer) {
    int ret;
    if (!s->setup) {
        mbedtls_ssl_init(&s->ssl);
        ret = mbedtls_ssl_setup(&s->ssl, &server.conf);
        if (ret != 0) {
            mbedtls_ssl_free(&s->ssl);
            return ret;
        }
        s->setup = 1;
        mbedtls_ssl_set_bio(&s->ssl, s, bio_send, bio_recv, 0);
        mbedtls_ssl_set_timer_cb(&s->ssl, s, timer_set, timer_get);
    } else {
        ret = mbedtls_ssl_session_reset(&s->ssl);
        if (ret != 0) return ret;
    }
    // Debian's mbedTLS has fixed 16 KiB record buffers (MBEDTLS_SSL_IN/OUT_CONTENT_LEN, no
    // MBEDTLS_SSL_VARIABLE_BUFFER_LENGTH), and setup and reset zero both of them whole, which
    // makes all of their pages resident. A CoAP record is at most a datagram (about 1.2 KB): the
    // zeroed pages beyond it are given back, so a session keeps about one page per buffer
    // resident instead of 33 KiB. They read as zeros, as the library left them.
    release_zero_pages(s->ssl.in_buf, MBEDTLS_SSL_IN_BUFFER_LEN);
    release_zero_pages(s->ssl.out_buf, MBEDTLS_SSL_OUT_BUFFER_LEN);
    s->peer = *peer;
    s->address_length = chal_sockaddr_from_address(peer, &s->address);
    s->identity = -1;
    s->timer_fin_ms = 0;
    // The cookie binds the client's address and port (the transport ID).
    unsigned char id[18];
    memcpy(id, peer->bytes, 16);
    id[16] = (unsigned char)(peer->port >> 8);
    id[17] = (unsigned char)peer->port;
    return mbedtls_ssl_set_client_transport_id(&s->ssl, id, sizeof(id));
}

static void slot_release(dtls_session *s) {
    s->state = SLOT_FREE;
    s->identity = -1;
    s->timer_fin_ms = 0;
}

static void remember_resumable(dtls_session *s) {
    const mbedtls_ssl_session *session = s->ssl.session;
    if (session == 0 || session->id_len == 0 || session->id_len > 32 || s->identity < 0) return;
    dtls_resumable *r = &server.resumable[server.resumable_next];
    server.resumable_next = (server.resumable_next + 1) % RESUMABLE_MAX;
    r->id_length = (uint8_t)session->id_len;
    memcpy(r->id, session->id, session->id_len);
    r->identity = s->identity;
}

static int32_t resumed_identity(dtls_session *s) {
    const mbedtls_ssl_session *session = s->ssl.session;
    if (session == 0 || session->id_len == 0) return -1;
    for (int i = 0; i < RESUMABLE_MAX; i++) {
        dtls_resumable *r = &server.resumable[i];
        if (r->id_length == session->id_len && memcmp(r->id, session->id, r->id_length) == 0) return r->identity;
    }
    return -1;
}

// A free slot other than the lobby; else the session idle the longest, if idle long enough.
static int take_slot(int64_t now) {
    int oldest = -1;
    for (int i = 0; i < server.config.max_sessions + 1; i++) {
        if (i == server.lobby) continue;
        if (server.slots[i].state == SLOT_FREE) return i;
        if (oldest < 0 || server.slots[i].last_ms < server.slots[oldest].last_ms) oldest = i;
    }
    if (oldest >= 0 && now - server.slots[oldest].last_ms >= server.config.evict_idle_ms) {
        if (server.slots[oldest].state == SLOT_UP) (void)mbedtls_ssl_close_notify(&server.slots[oldest].ssl);
        slot_release(&server.slots[oldest]);
        server.counters[C_EVICTED]++;
        return oldest;
    }
    return -1;
}

static void describe_failure(const char *what, const chal_address *peer, int ret) {
    char where[64];
    char prefix[128];
    int n = chal_address_format(peer, (uint8_t *)where, sizeof(where));
    if (n < 0) snprintf(where, sizeof(where), "?");
    snprintf(prefix, sizeof(prefix), "dtls %s from %s", what, where);
    // A PSK lookup failure already wrote the identity; keep it in front.
    if (ret == MBEDTLS_ERR_SSL_UNKNOWN_IDENTITY && strncmp(server.error, "dtls: unknown", 13) == 0) {
        char identity[160];
        snprintf(identity, sizeof(identity), "%.150s", server.error + 6);
        snprintf(server.error, sizeof(server.error), "%.90s: %.150s", prefix, identity);
        return;
    }
    if (ret == MBEDTLS_ERR_SSL_INVALID_MAC) {
        snprintf(server.error, sizeof(server.error), "%s: Finished did not verify (wrong key for the identity?)", prefix);
        return;
    }
    chal_tls_describe(server.error, sizeof(server.error), prefix, ret);
}

// ---- the interface -------------------------------------------------------------------------------

int32_t chal_dtls_server_open(const chal_dtls_server_config *config, int32_t udp_fd) {
    if (server.open) return CHAL_EMFILE;
    if (config == 0 || udp_fd < 0 || config->max_sessions < 1 || config->max_sessions > CHAL_DTLS_SESSIONS_MAX) return CHAL_EINVAL;
    mbedtls_ctr_drbg_context *drbg = chal_tls_drbg();
    if (drbg == 0) return CHAL_EIO;
    memset(&server, 0, sizeof(server));
    server.fd = udp_fd;
    server.config = *config;
    if (server.config.idle_timeout_ms <= 0) server.config.idle_timeout_ms = 600000;
    if (server.config.evict_idle_ms <= 0) server.config.evict_idle_ms = 30000;
    if (server.config.handshake_timeout_ms <= 0) server.config.handshake_timeout_ms = 1000;
    mbedtls_ssl_config_init(&server.conf);
    mbedtls_ssl_cookie_init(&server.cookies);
    mbedtls_ssl_cache_init(&server.cache);
    int ret = mbedtls_ssl_config_defaults(&server.conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_DATAGRAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret == 0) ret = mbedtls_ssl_cookie_setup(&server.cookies, mbedtls_ctr_drbg_random, drbg);
    if (ret != 0) {
        chal_tls_describe(server.error, sizeof(server.error), "dtls: set-up", ret);
        mbedtls_ssl_config_free(&server.conf);
        mbedtls_ssl_cookie_free(&server.cookies);
        mbedtls_ssl_cache_free(&server.cache);
        return CHAL_EINVAL;
    }
    mbedtls_ssl_conf_rng(&server.conf, mbedtls_ctr_drbg_random, drbg);
    mbedtls_ssl_conf_min_version(&server.conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(&server.conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_ciphersuites(&server.conf, suites);
    mbedtls_ssl_conf_psk_cb(&server.conf, psk_lookup, 0);
    mbedtls_ssl_conf_dtls_cookies(&server.conf, mbedtls_ssl_cookie_write, mbedtls_ssl_cookie_check, &server.cookies);
    mbedtls_ssl_conf_dtls_anti_replay(&server.conf, MBEDTLS_SSL_ANTI_REPLAY_ENABLED);
    mbedtls_ssl_conf_handshake_timeout(&server.conf, (uint32_t)server.config.handshake_timeout_ms, 60000);
    // Resumption by session ID (RFC 5246 §7.4.1.2) from a bounded cache.
    mbedtls_ssl_cache_set_max_entries(&server.cache, RESUMABLE_MAX);
    mbedtls_ssl_conf_session_cache(&server.conf, &server.cache, mbedtls_ssl_cache_get, mbedtls_ssl_cache_set);
    server.lobby = 0;
    server.open = 1;
    return 0;
}

int32_t chal_dtls_psk_clear(int32_t handle) {
    if (handle != 0 || !server.open) return CHAL_EBADF;
    memset(server.identities, 0, sizeof(server.identities));
    server.identity_count = 0;
    // Sessions resumed later must prove an identity of the new table: forget the old bindings.
    memset(server.resumable, 0, sizeof(server.resumable));
    return 0;
}

int32_t chal_dtls_psk_add(int32_t handle, const uint8_t *identity, int32_t identity_length, const uint8_t *key,
                          int32_t key_length, int32_t index) {
    if (handle != 0 || !server.open) return CHAL_EBADF;
    if (identity == 0 || key == 0 || identity_length < 1 || identity_length > CHAL_DTLS_IDENTITY_BYTES_MAX || key_length < 1 ||
        key_length > CHAL_DTLS_KEY_BYTES_MAX || index < 0)
        return CHAL_EINVAL;
    if (server.identity_count >= CHAL_DTLS_IDENTITIES_MAX) return CHAL_ENOSPC;
    dtls_identity *entry = &server.identities[server.identity_count++];
    entry->index = index;
    entry->identity_length = (uint8_t)identity_length;
    entry->key_length = (uint8_t)key_length;
    memcpy(entry->identity, identity, (size_t)identity_length);
    memcpy(entry->key, key, (size_t)key_length);
    return 0;
}

int32_t chal_dtls_close_identity(int32_t handle, int32_t index) {
    if (handle != 0 || !server.open) return CHAL_EBADF;
    int32_t closed = 0;
    for (int i = 0; i < server.config.max_sessions + 1; i++) {
        dtls_session *s = &server.slots[i];
        if (s->state == SLOT_FREE || i == server.lobby) continue;
        if (index >= 0 && s->identity != index) continue;
        if (s->state == SLOT_UP) (void)mbedtls_ssl_close_notify(&s->ssl);
        slot_release(s);
        closed++;
    }
    return closed;
}

static int32_t finish_event(chal_dtls_event *event, int32_t session, int32_t identity, int32_t kind) {
    if (event) {
        event->session = session;
        event->identity = identity;
        event->kind = kind;
        event->reserved = 0;
    }
    return 0;
}

// A handshake step of slot `index` finished with `ret`.
static int32_t after_handshake(int index, int ret, chal_dtls_event *event) {
    dtls_session *s = &server.slots[index];
    if (ret == 0) {
        if (s->identity < 0) {
            // Resumed: no PSK lookup happened, so the identity is the resumed session's.
            s->identity = resumed_identity(s);
            if (s->identity < 0) {
                snprintf(server.error, sizeof(server.error), "dtls: resumed session of an identity no longer in the key table");
                (void)mbedtls_ssl_close_notify(&s->ssl);
                slot_release(s);
                server.counters[C_FAILED]++;
                return finish_event(event, index, -1, CHAL_DTLS_EVENT_HANDSHAKE_FAILED);
            }
            server.counters[C_RESUMED]++;
        } else {
            remember_resumable(s);
        }
        s->state = SLOT_UP;
        server.counters[C_DONE]++;
        return finish_event(event, index, s->identity, CHAL_DTLS_EVENT_ESTABLISHED);
    }
    if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
        return finish_event(event, index, s->identity, CHAL_DTLS_EVENT_NONE);
    }
    describe_failure("handshake", &s->peer, ret);
    int32_t identity = s->identity;
    slot_release(s);
    server.counters[C_FAILED]++;
    return finish_event(event, index, identity, CHAL_DTLS_EVENT_HANDSHAKE_FAILED);
}

int32_t chal_dtls_input(int32_t handle, const uint8_t *datagram, int32_t length, const chal_address *peer, uint8_t *plaintext,
                        int32_t capacity, chal_dtls_event *event) {
    finish_event(event, -1, -1, CHAL_DTLS_EVENT_DROPPED);
    if (handle != 0 || !server.open) return CHAL_EBADF;
    if (datagram == 0 || length <= 0 || peer == 0 || plaintext == 0 || capacity <= 0) return CHAL_EINVAL;
    int64_t now = chal_tls_now_ms();
    int index = -1;
    for (int i = 0; i < server.config.max_sessions + 1; i++) {
        if (i != server.lobby && server.slots[i].state != SLOT_FREE && same_peer(&server.slots[i].peer, peer)) {
            index = i;
            break;
        }
    }
    if (index < 0) {
        // A new peer: only a ClientHello (content type 22, handshake type 1 at offset 13) can
        // start anything; everything else is dropped before the library sees it.
        if (length < 26 || datagram[0] != 22 || datagram[13] != 1) {
            server.counters[C_DROPPED]++;
            return 0;
        }
        dtls_session *lobby = &server.slots[server.lobby];
        int ret = slot_prepare(lobby, peer);
        if (ret != 0) {
            describe_failure("set-up", peer, ret);
            server.counters[C_DROPPED]++;
            return 0;
        }
        lobby->state = SLOT_HANDSHAKE;
        lobby->started_ms = now;
        lobby->last_ms = now;
        server.input = datagram;
        server.input_length = length;
        server.input_session = lobby;
        ret = mbedtls_ssl_handshake(&lobby->ssl);
        server.input = 0;
        if (ret == MBEDTLS_ERR_SSL_HELLO_VERIFY_REQUIRED) {
            // HelloVerifyRequest sent: nothing is kept for this peer.
            lobby->state = SLOT_FREE;
            server.counters[C_COOKIES]++;
            return finish_event(event, -1, -1, CHAL_DTLS_EVENT_COOKIE_SENT);
        }
        if ((ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE && ret != 0) ||
            lobby->ssl.state <= MBEDTLS_SSL_CLIENT_HELLO) {
            // Not a ClientHello the library took: nothing is kept.
            if (ret != MBEDTLS_ERR_SSL_WANT_READ) describe_failure("client hello", peer, ret);
            lobby->state = SLOT_FREE;
            server.counters[C_DROPPED]++;
            return 0;
        }
        // The cookie was valid and the server's flight is out: the lobby becomes this client's.
        int next = take_slot(now);
        if (next < 0) {
            lobby->state = SLOT_FREE;
            server.counters[C_REFUSED]++;
            snprintf(server.error, sizeof(server.error), "dtls: all %d sessions busy", server.config.max_sessions);
            return finish_event(event, -1, -1, CHAL_DTLS_EVENT_REFUSED);
        }
        index = server.lobby;
        server.lobby = next;
        server.slots[next].state = SLOT_FREE;
        return after_handshake(index, ret, event);
    }
    dtls_session *s = &server.slots[index];
    s->last_ms = now;
    server.input = datagram;
    server.input_length = length;
    server.input_session = s;
    if (s->state == SLOT_HANDSHAKE) {
        int ret = mbedtls_ssl_handshake(&s->ssl);
        server.input = 0;
        return after_handshake(index, ret, event);
    }
    int ret = mbedtls_ssl_read(&s->ssl, plaintext, (size_t)capacity);
    server.input = 0;
    if (ret > 0) {
        if (mbedtls_ssl_get_bytes_avail(&s->ssl) > 0) {
            // A record longer than `capacity`: its rest would arrive as a second message. Drop it.
            uint8_t sink[64];
            while (mbedtls_ssl_get_bytes_avail(&s->ssl) > 0 && mbedtls_ssl_read(&s->ssl, sink, sizeof(sink)) > 0) {}
            server.counters[C_DROPPED]++;
            finish_event(event, index, s->identity, CHAL_DTLS_EVENT_DROPPED);
            return CHAL_ENOSPC;
        }
        if (mbedtls_ssl_check_pending(&s->ssl)) {
            // More records packed into the same datagram: one message per call, so they are
            // dropped now, before the next datagram arrives behind them (bounded by the datagram).
            uint8_t sink[64];
            for (int i = 0; i < 64 && mbedtls_ssl_check_pending(&s->ssl); i++) {
                int more = mbedtls_ssl_read(&s->ssl, sink, sizeof(sink));
                if (more <= 0) break;
            }
            server.counters[C_DROPPED]++;
        }
        finish_event(event, index, s->identity, CHAL_DTLS_EVENT_DATA);
        return ret;
    }
    if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE) {
        // A replayed, damaged or non-data record: the library dropped it.
        return finish_event(event, index, s->identity, CHAL_DTLS_EVENT_NONE);
    }
    if (ret == MBEDTLS_ERR_SSL_CLIENT_RECONNECT) {
        // The same address and port sent a new ClientHello with a valid cookie: a client that
        // restarted. The library reset the context; the handshake continues with the next flight.
        s->state = SLOT_HANDSHAKE;
        s->identity = -1;
        s->started_ms = now;
        return finish_event(event, index, -1, CHAL_DTLS_EVENT_NONE);
    }
    int32_t identity = s->identity;
    if (ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY || ret == 0) {
        slot_release(s);
        server.counters[C_CLOSED]++;
        return finish_event(event, index, identity, CHAL_DTLS_EVENT_CLOSED);
    }
    describe_failure("record", &s->peer, ret);
    slot_release(s);
    server.counters[C_FAILED]++;
    return finish_event(event, index, identity, CHAL_DTLS_EVENT_HANDSHAKE_FAILED);
}

int32_t chal_dtls_write(int32_t handle, int32_t session, const uint8_t *bytes, int32_t count) {
    if (handle != 0 || !server.open) return CHAL_EBADF;
    if (session < 0 || session > server.config.max_sessions || session == server.lobby || server.slots[session].state != SLOT_UP)
        return CHAL_EBADF;
    if (bytes == 0 || count <= 0) return CHAL_EINVAL;
    int ret = mbedtls_ssl_write(&server.slots[session].ssl, bytes, (size_t)count);
    if (ret >= 0) return ret;
    if (ret == MBEDTLS_ERR_SSL_WANT_WRITE) return CHAL_EAGAIN;
    return ret == MBEDTLS_ERR_SSL_BAD_INPUT_DATA ? CHAL_EINVAL : CHAL_EPROTO;
}

int32_t chal_dtls_session_peer(int32_t handle, int32_t session, chal_address *out) {
    if (handle != 0 || !server.open || out == 0) return CHAL_EBADF;
    if (session < 0 || session > server.config.max_sessions || server.slots[session].state == SLOT_FREE) return CHAL_EBADF;
    *out = server.slots[session].peer;
    return 0;
}

int32_t chal_dtls_tick(int32_t handle) {
    if (handle != 0 || !server.open) return CHAL_EBADF;
    int64_t now = chal_tls_now_ms();
    int32_t closed = 0;
    for (int i = 0; i < server.config.max_sessions + 1; i++) {
        dtls_session *s = &server.slots[i];
        if (i == server.lobby || s->state == SLOT_FREE) continue;
        if (s->state == SLOT_HANDSHAKE) {
            // The library retransmits its last flight when the timer ran out, and gives up after
            // the maximum handshake timeout (MBEDTLS_ERR_SSL_TIMEOUT).
            if (timer_get(s) == 2) {
                int ret = mbedtls_ssl_handshake(&s->ssl);
                if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE && ret != 0) {
                    describe_failure("handshake", &s->peer, ret);
                    slot_release(s);
                    server.counters[C_FAILED]++;
                    closed++;
                }
            }
        } else if (now - s->last_ms >= server.config.idle_timeout_ms) {
            (void)mbedtls_ssl_close_notify(&s->ssl);
            slot_release(s);
            server.counters[C_EVICTED]++;
            closed++;
        }
    }
    return closed;
}

int32_t chal_dtls_session_count(int32_t handle, int32_t *established) {
    if (handle != 0 || !server.open) return CHAL_EBADF;
    int32_t used = 0, up = 0;
    for (int i = 0; i < server.config.max_sessions + 1; i++) {
        if (i == server.lobby || server.slots[i].state == SLOT_FREE) continue;
        used++;
        if (server.slots[i].state == SLOT_UP) up++;
    }
    if (established) *established = up;
    return used;
}

int32_t chal_dtls_counters(int32_t handle, uint64_t *values, int32_t count) {
    if (handle != 0 || !server.open) return CHAL_EBADF;
    int32_t n = count < 8 ? count : 8;
    for (int32_t i = 0; i < n; i++) values[i] = server.counters[i];
    return n < 0 ? 0 : n;
}

int32_t chal_dtls_error_text(int32_t handle, uint8_t *buffer, int32_t capacity) {
    if (handle != 0 || !server.open) return CHAL_EBADF;
    if (buffer == 0 || capacity <= 0) return 0;
    int32_t n = (int32_t)strnlen(server.error, sizeof(server.error));
    if (n > capacity) n = capacity;
    memcpy(buffer, server.error, (size_t)n);
    return n;
}

int32_t chal_dtls_server_close(int32_t handle) {
    if (handle != 0 || !server.open) return CHAL_EBADF;
    for (int i = 0; i < CHAL_DTLS_SESSIONS_MAX + 1; i++) {
        dtls_session *s = &server.slots[i];
        if (s->state == SLOT_UP) (void)mbedtls_ssl_close_notify(&s->ssl);
        if (s->setup) mbedtls_ssl_free(&s->ssl);
    }
    mbedtls_ssl_config_free(&server.conf);
    mbedtls_ssl_cookie_free(&server.cookies);
    mbedtls_ssl_cache_free(&server.cache);
    // The keys are not left in memory after the server is gone.
    mbedtls_platform_zeroize(&server, sizeof(server));
    return 0;
}

#else // A build without mbedTLS: every call refused.

int32_t chal_dtls_server_open(const chal_dtls_server_config *config, int32_t udp_fd) { (void)config; (void)udp_fd; return CHAL_EOPNOTSUPP; }
int32_t chal_dtls_psk_clear(int32_t server) { (void)server; return CHAL_EOPNOTSUPP; }
int32_t chal_dtls_psk_add(int32_t server, const uint8_t *identity, int32_t identity_length, const uint8_t *key, int32_t key_length, int32_t index) {
    (void)server; (void)identity; (void)identity_length; (void)key; (void)key_length; (void)index;
    return CHAL_EOPNOTSUPP;
}
int32_t chal_dtls_close_identity(int32_t server, int32_t index) { (void)server; (void)index; return CHAL_EOPNOTSUPP; }
int32_t chal_dtls_input(int32_t server, const uint8_t *datagram, int32_t length, const struct chal_address *peer, uint8_t *plaintext,
                        int32_t capacity, chal_dtls_event *event) {
    (void)server; (void)datagram; (void)length; (void)peer; (void)plaintext; (void)capacity; (void)event;
    return CHAL_EOPNOTSUPP;
}
int32_t chal_dtls_write(int32_t server, int32_t session, const uint8_t *bytes, int32_t count) { (void)server; (void)session; (void)bytes; (void)count; return CHAL_EOPNOTSUPP; }
int32_t chal_dtls_session_peer(int32_t server, int32_t session, struct chal_address *out) { (void)server; (void)session; (void)out; return CHAL_EOPNOTSUPP; }
int32_t chal_dtls_tick(int32_t server) { (void)server; return CHAL_EOPNOTSUPP; }
int32_t chal_dtls_session_count(int32_t server, int32_t *established) { (void)server; if (established) *established = 0; return CHAL_EOPNOTSUPP; }
int32_t chal_dtls_counters(int32_t server, uint64_t *values, int32_t count) { (void)server; (void)values; (void)count; return CHAL_EOPNOTSUPP; }
int32_t chal_dtls_error_text(int32_t server, uint8_t *buffer, int32_t capacity) { (void)server; (void)buffer; (void)capacity; return 0; }
int32_t chal_dtls_server_close(int32_t server) { (void)server; return CHAL_EOPNOTSUPP; }
#endif
