/* Source 2: /proc/net/tcp and /proc/net/tcp6, for when netlink is not
 * available. Each line is
 *   sl: LOCAL:PORT REMOTE:PORT ST TX:RX TR:WHEN RETR UID TIMEOUT INODE ...
 * with addresses as the kernel's raw 32-bit words printed in hex. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "diag.h"
#include "socklab/platform.h"

/* The kernel prints each 32-bit word of the address with %08X of its
 * in-memory value, so parsing it back as a native integer and copying the
 * bytes restores network order on any endianness. */
static int parse_addr(const char *hex, unsigned char *addr, size_t words)
{
    if (strlen(hex) != words * 8)
        return -1;
    for (size_t i = 0; i < words; i++) {
        char part[9];
        memcpy(part, hex + i * 8, 8);
        part[8] = '\0';
        char *end;
        unsigned long v = strtoul(part, &end, 16);
        if (*end != '\0')
            return -1;
        uint32_t w = (uint32_t)v;
        memcpy(addr + i * 4, &w, 4);
    }
    return 0;
}

static int parse_line(const char *line, int family, struct tcp_sock_entry *e)
{
    char local[33], remote[33];
    unsigned lport, rport, state;
    unsigned long inode;
    size_t words = family == AF_INET ? 1 : 4;

    if (sscanf(line, " %*u: %32[0-9A-Fa-f]:%x %32[0-9A-Fa-f]:%x %x %*x:%*x %*x:%*x %*x %*u %*u %lu",
               local, &lport, remote, &rport, &state, &inode) != 6)
        return -1;
    if (lport > 65535 || rport > 65535)
        return -1;
    *e = (struct tcp_sock_entry){.family = family, .state = (int)state, .inode = inode};
    e->local_port = (uint16_t)lport;
    e->remote_port = (uint16_t)rport;
    if (parse_addr(local, e->local, words) < 0 || parse_addr(remote, e->remote, words) < 0)
        return -1;
    return 0;
}

/* The whole file in as few read()s as possible: the kernel builds the text
 * one chunk per read, and a socket that changes between two chunks can be
 * printed twice or not at all. Big reads make that rare. */
static char *slurp(int fd, size_t *len)
{
    size_t cap = 256 * 1024, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf)
        return NULL;
    for (;;) {
        if (cap - n < 64 * 1024) {
            char *bigger = realloc(buf, cap * 2 + 1);
            if (!bigger) {
                free(buf);
                errno = ENOMEM;
                return NULL;
            }
            buf = bigger;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int saved = errno;
            free(buf);
            errno = saved;
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

const char diag_fallback_name[] = "/proc";

int diag_fallback_read(int family, struct tcp_sock_list *out, char err[SL_ERRLEN])
{
    const char *path = family == AF_INET ? "/proc/net/tcp" : "/proc/net/tcp6";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        /* No tcp6 file means IPv6 is off: there are simply no such sockets. */
        if (errno == ENOENT && family == AF_INET6)
            return 0;
        snprintf(err, SL_ERRLEN, "open %s: %s", path, SL_STRERROR(errno));
        return -1;
    }
    size_t len;
    char *text = slurp(fd, &len);
    int saved = errno;
    close(fd);
    if (!text) {
        snprintf(err, SL_ERRLEN, "read %s: %s", path, SL_STRERROR(saved));
        return -1;
    }
    /* The first line holds the column titles. */
    char *line = strchr(text, '\n');
    int rc = 0;
    while (line && *++line) {
        char *eol = strchr(line, '\n');
        if (eol)
            *eol = '\0';
        struct tcp_sock_entry e;
        /* A line in a format we do not know is skipped; the rest still count. */
        if (parse_line(line, family, &e) == 0 && tcp_sock_list_push(out, &e) < 0) {
            snprintf(err, SL_ERRLEN, "read %s: %s", path, SL_STRERROR(ENOMEM));
            rc = -1;
            break;
        }
        line = eol;
    }
    free(text);
    return rc;
}
