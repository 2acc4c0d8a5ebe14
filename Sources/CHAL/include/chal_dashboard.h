// The dashboard page the HTTP server answers at `/`: one self-contained HTML file
// (Sources/CHAL/dashboard/index.html) compiled into the binary as bytes by
// scripts/embed-dashboard.sh (chal_dashboard.c is generated; edit the HTML and run the script).
#ifndef CHAL_DASHBOARD_H
#define CHAL_DASHBOARD_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The page's bytes (UTF-8 HTML), static for the life of the process.
const uint8_t *chal_dashboard_bytes(void);
/// The page's length in bytes.
int64_t chal_dashboard_size(void);

#ifdef __cplusplus
}
#endif
#endif
