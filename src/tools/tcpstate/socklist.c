/* The socket list: growing, ordering, printing its entries. */
#include "socklist.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "socklab/addr.h"

int tcp_sock_list_push(struct tcp_sock_list *l, const struct tcp_sock_entry *e)
{
    if (l->len == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct tcp_sock_entry *items = realloc(l->items, cap * sizeof *items);
        if (!items) {
            errno = ENOMEM;
            return -1;
        }
        l->items = items;
        l->cap = cap;
    }
    l->items[l->len++] = *e;
    return 0;
}

void tcp_sock_list_free(struct tcp_sock_list *l)
{
    free(l->items);
    *l = (struct tcp_sock_list){0};
}

static int cmp_port(uint16_t a, uint16_t b)
{
    return (a > b) - (a < b);
}

int tcp_sock_key_cmp(const struct tcp_sock_entry *a, const struct tcp_sock_entry *b)
{
    int c;
    if ((c = cmp_port(a->local_port, b->local_port)) != 0)
        return c;
    if ((c = (a->family > b->family) - (a->family < b->family)) != 0)
        return c;
    if ((c = memcmp(a->local, b->local, sizeof a->local)) != 0)
        return c;
    if ((c = cmp_port(a->remote_port, b->remote_port)) != 0)
        return c;
    return memcmp(a->remote, b->remote, sizeof a->remote);
}

static char *format_end(int family, const unsigned char addr[16], uint16_t port, char *buf,
                        size_t buflen)
{
    if (family == AF_INET) {
        struct sockaddr_in in4 = {.sin_family = AF_INET, .sin_port = htons(port)};
        memcpy(&in4.sin_addr, addr, 4);
        return sl_format_addr((const struct sockaddr *)&in4, sizeof in4, buf, buflen);
    }
    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
    memcpy(&in6.sin6_addr, addr, 16);
    return sl_format_addr((const struct sockaddr *)&in6, sizeof in6, buf, buflen);
}

char *tcp_sock_format_local(const struct tcp_sock_entry *e, char *buf, size_t buflen)
{
    return format_end(e->family, e->local, e->local_port, buf, buflen);
}

char *tcp_sock_format_remote(const struct tcp_sock_entry *e, char *buf, size_t buflen)
{
    return format_end(e->family, e->remote, e->remote_port, buf, buflen);
}
