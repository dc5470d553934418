/* Source 1: netlink sock_diag (SOCK_DIAG_BY_FAMILY + inet_diag_req_v2).
 * One dump per family; the kernel walks its own tables, so the snapshot is
 * cheaper and more consistent than parsing text, and it sees TIME_WAIT and
 * SYN_RECV request sockets as well. */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "diag.h"
#include "socklab/platform.h"

/* Big enough for a few hundred sockets per recv; the dump spans many. */
#define NL_BUFSIZE 32768

static int send_request(int fd, int family, char err[SL_ERRLEN])
{
    struct {
        struct nlmsghdr nlh;
        struct inet_diag_req_v2 req;
    } msg;
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};

    memset(&msg, 0, sizeof msg);
    msg.nlh.nlmsg_len = sizeof msg;
    msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    msg.nlh.nlmsg_seq = 1;
    msg.req.sdiag_family = (unsigned char)family;
    msg.req.sdiag_protocol = IPPROTO_TCP;
    msg.req.idiag_states = ~0u; /* every state, TIME_WAIT and SYN_RECV included */

    if (sendto(fd, &msg, sizeof msg, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
        snprintf(err, SL_ERRLEN, "netlink sock_diag request: %s", SL_STRERROR(errno));
        return -1;
    }
    return 0;
}

static void entry_from_msg(const struct inet_diag_msg *m, struct tcp_sock_entry *e)
{
    *e = (struct tcp_sock_entry){.family = m->idiag_family, .state = m->idiag_state};
    /* idiag_src/dst are __be32[4]: already network byte order, as we keep them. */
    memcpy(e->local, m->id.idiag_src, m->idiag_family == AF_INET ? 4 : 16);
    memcpy(e->remote, m->id.idiag_dst, m->idiag_family == AF_INET ? 4 : 16);
    e->local_port = ntohs(m->id.idiag_sport);
    e->remote_port = ntohs(m->id.idiag_dport);
    e->inode = m->idiag_inode;
    e->cookie = (uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
}

/* Reads the dump's replies until NLMSG_DONE. Returns 0, or -1. */
static int read_replies(int fd, int family, struct tcp_sock_list *out, char err[SL_ERRLEN])
{
    /* Aligned for struct nlmsghdr: netlink messages are read in place. */
    union {
        struct nlmsghdr align;
        char bytes[NL_BUFSIZE];
    } buf;

    for (;;) {
        ssize_t n = recv(fd, buf.bytes, sizeof buf.bytes, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            snprintf(err, SL_ERRLEN, "netlink sock_diag reply: %s", SL_STRERROR(errno));
            return -1;
        }
        if (n == 0) {
            snprintf(err, SL_ERRLEN, "netlink sock_diag reply: unexpected end");
            return -1;
        }
        size_t left = (size_t)n;
        for (struct nlmsghdr *h = &buf.align; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
            if (h->nlmsg_type == NLMSG_DONE)
                return 0;
            if (h->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = NLMSG_DATA(h);
                int code = h->nlmsg_len >= NLMSG_LENGTH(sizeof *e) ? -e->error : EPROTO;
                snprintf(err, SL_ERRLEN, "netlink sock_diag: %s", SL_STRERROR(code));
                return -1;
            }
            if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
                h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
                continue;
            const struct inet_diag_msg *m = NLMSG_DATA(h);
            if (m->idiag_family != family)
                continue;
            struct tcp_sock_entry e;
            entry_from_msg(m, &e);
            if (tcp_sock_list_push(out, &e) < 0) {
                snprintf(err, SL_ERRLEN, "netlink sock_diag: %s", SL_STRERROR(ENOMEM));
                return -1;
            }
        }
    }
}

const char diag_main_name[] = "netlink";

int diag_main_dump(int family, struct tcp_sock_list *out, char err[SL_ERRLEN])
{
    int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) {
        snprintf(err, SL_ERRLEN, "netlink sock_diag socket: %s", SL_STRERROR(errno));
        return -1;
    }
    int rc = send_request(fd, family, err);
    if (rc == 0)
        rc = read_replies(fd, family, out, err);
    close(fd);
    return rc;
}
