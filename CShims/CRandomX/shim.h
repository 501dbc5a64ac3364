// CRandomX: Debian's librandomx-dev (1.1.x) has no pkg-config file, so the module map links
// `randomx` directly. Nothing else is needed: every function in randomx.h imports into Swift as is.
#ifndef DILITHION_CRANDOMX_SHIM_H
#define DILITHION_CRANDOMX_SHIM_H
#include <stddef.h>
#include <randomx.h>
#endif
