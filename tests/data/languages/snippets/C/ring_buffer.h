#ifndef RING_BUFFER_H
#define RING_BUFFER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ring_buffer {
    uint8_t *data;
    size_t head, tail, cap;
} ring_buffer_t;

int rb_init(ring_buffer_t *rb, size_t cap);
size_t rb_write(ring_buffer_t *rb, const void *src, size_t n);
void rb_free(ring_buffer_t *rb);

#ifdef __cplusplus
}
#endif
#endif /* RING_BUFFER_H */
