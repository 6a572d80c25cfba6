#ifndef TSRUN_LAUNCHER_SHA256_H
#define TSRUN_LAUNCHER_SHA256_H
#include <stddef.h>
#include <stdint.h>

/* Lower-case hex SHA-256 of data, NUL-terminated. */
void sha256_hex(const uint8_t *data, size_t len, char out[65]);

#endif
