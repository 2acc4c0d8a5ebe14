// chal_address <-> struct sockaddr (see chal_sockaddr.h). Nothing here allocates.
#include "chal_sockaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

socklen_t chal_sockaddr_from_address(const chal_address *a, struct sockaddr_storage *s) {
    memset(s, 0, sizeof(*s));
    if (a->family == CHAL_FAMILY_IPV4) {
        struct sockaddr_in *in = (struct sockaddr_in *)s;
        in->sin_family = AF_INET;
        in->sin_port = htons(a->port);
        memcpy(&in->sin_addr, a->bytes, 4);
        return sizeof(*in);
    }
    if (a->family == CHAL_FAMILY_IPV6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)s;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(a->port);
        in6->sin6_scope_id = a->scope_id;
        memcpy(&in6->sin6_addr, a->bytes, 16);
        return sizeof(*in6);
    }
    return 0;
}

void chal_sockaddr_to_address(const struct sockaddr_storage *s, chal_address *a) {
    memset(a, 0, sizeof(*a));
    if (s->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)s;
        a->family = CHAL_FAMILY_IPV4;
        a->port = ntohs(in->sin_port);
        memcpy(a->bytes, &in->sin_addr, 4);
    } else if (s->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)s;
        a->family = CHAL_FAMILY_IPV6;
        a->port = ntohs(in6->sin6_port);
        a->scope_id = in6->sin6_scope_id;
        memcpy(a->bytes, &in6->sin6_addr, 16);
    }
}
