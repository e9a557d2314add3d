#pragma once
#include <stdlib.h>

struct list_node {
    struct list_node *next, *prev;
};

static inline void list_init(struct list_node *n) { n->next = n->prev = n; }

#define list_for_each(pos, head) \
    for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)
