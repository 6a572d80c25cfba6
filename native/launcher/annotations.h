#ifndef TSRUN_LAUNCHER_ANNOTATIONS_H
#define TSRUN_LAUNCHER_ANNOTATIONS_H
#include <stddef.h>

/* The string value of config.json's annotations[key] into out (NUL-terminated).
 * Returns 1 when found, 0 when absent (or the document is not valid JSON
 * up to there), -1 when the value is too long or uses escapes. */
int config_annotation(const char *json, size_t len, const char *key, char *out, size_t cap);

#endif
