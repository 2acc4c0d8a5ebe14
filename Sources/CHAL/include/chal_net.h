// CHAL network and lines: UDP sockets, poll, signals, serial ports (see chal.h for the rules).
#ifndef CHAL_NET_H
#define CHAL_NET_H
#include <stdint.h>
#endif
