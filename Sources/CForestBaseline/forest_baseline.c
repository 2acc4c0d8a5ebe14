#include "CForestBaseline.h"
