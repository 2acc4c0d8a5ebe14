// CHAL storage: the file operations behind the flash-like log (see chal.h for the rules).
#ifndef CHAL_STORAGE_H
#define CHAL_STORAGE_H
#include <stdint.h>
#endif
