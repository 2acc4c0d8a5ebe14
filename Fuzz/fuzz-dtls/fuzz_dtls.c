// libFuzzer target for CHAL's DTLS server glue (Sources/CHAL/chal_dtls.c) with mbedTLS behind it:
// the input is a sequence of datagrams from a few peers, handed to chal_dtls_input as the daemon
// does, with chal_dtls_tick between them. It exercises the lobby (cookie exchange, ClientHello
// filtering, promotion), the session table and the record path; it must never crash, leak a
// session slot beyond the table, or return plaintext to a peer without a session.
//
// Input: repeated [peer (1 byte)] [length (2 bytes, big-endian)] [length bytes]; a peer byte with
// the high bit set runs chal_dtls_tick instead. Built by scripts/fuzz.sh (clang -fsanitize=fuzzer).
#include "chal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static int ready;

static void set_up(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(fd, (struct sockaddr *)&address, sizeof(address));
    chal_dtls_server_config config = {.max_sessions = 4, .evict_idle_ms = 1};
    if (chal_dtls_server_open(&config, fd) != 0) abort();
    static const uint8_t key[16] = "fuzz-key-0123456";
    chal_dtls_psk_add(0, (const uint8_t *)"fuzz", 4, key, 16, 0);
    ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!ready) set_up();
    static uint8_t plaintext[1200];
    size_t at = 0;
    while (at + 3 <= size) {
        uint8_t peer_byte = data[at];
        size_t length = ((size_t)data[at + 1] << 8) | data[at + 2];
        at += 3;
        if (peer_byte & 0x80) {
            chal_dtls_tick(0);
            continue;
        }
        if (length > size - at) length = size - at;
        chal_address peer;
        memset(&peer, 0, sizeof(peer));
        peer.family = CHAL_FAMILY_IPV4;
        peer.port = (uint16_t)(40000 + (peer_byte & 7));
        peer.bytes[0] = 127;
        peer.bytes[3] = 1;
        chal_dtls_event event;
        int32_t n = chal_dtls_input(0, data + at, (int32_t)length, &peer, plaintext, sizeof(plaintext), &event);
        // Plaintext only from a session that completed a handshake with a known identity.
        if (n > 0 && (event.session < 0 || event.identity < 0)) abort();
        int32_t up = 0;
        int32_t used = chal_dtls_session_count(0, &up);
        if (used < 0 || used > 4 || up > used) abort();
        at += length;
    }
    return 0;
}
