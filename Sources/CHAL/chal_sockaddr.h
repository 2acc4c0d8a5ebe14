// chal_address <-> struct sockaddr, shared by the socket files of CHAL (UDP, TCP server, DTLS).
// Private to CHAL: not in include/, so nothing outside the platform layer sees sockaddr.
#ifndef CHAL_SOCKADDR_H
#define CHAL_SOCKADDR_H

#include "chal.h"

#include <sys/socket.h>

// Fills `s` from `a`; returns the sockaddr length, 0 for an unknown family (nothing to bind or send to).
socklen_t chal_sockaddr_from_address(const chal_address *a, struct sockaddr_storage *s);

// Fills `a` from `s`; an unknown family comes back as family 0.
void chal_sockaddr_to_address(const struct sockaddr_storage *s, chal_address *a);

#endif
