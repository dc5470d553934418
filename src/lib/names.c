/* A growing list of malloc'd names (internal.h). */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

int sl_names_add(struct sl_names *l, char *name)
{
    if (name != NULL && l->len == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        char **grown = realloc(l->v, cap * sizeof *grown);
        if (grown == NULL) {
            free(name);
            name = NULL;
        } else {
            l->v = grown;
            l->cap = cap;
        }
    }
    if (name == NULL) {
        errno = ENOMEM;
        return -1;
    }
    l->v[l->len++] = name;
    return 0;
}

int sl_names_give(struct sl_names *l, int rc, char ***names, size_t *n)
{
    if (rc < 0) {
        sl_names_free(l);
        errno = ENOMEM;
        return -1;
    }
    *names = l->v;
    *n = l->len;
    return 0;
}

void sl_names_free(struct sl_names *l)
{
    while (l->len > 0)
        free(l->v[--l->len]);
    free(l->v);
    *l = (struct sl_names){0};
}
