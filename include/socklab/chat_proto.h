/* The chat protocol of tcpchat-server/tcpchat-client (docs/protocol.md,
 * "Chat"): UTF-8 lines ending in LF. Its limits are stated once, here, so
 * that client and server cannot disagree on them. */
#ifndef SOCKLAB_CHAT_PROTO_H
#define SOCKLAB_CHAT_PROTO_H

/* Bytes in one line, without its LF (or CRLF). The server refuses a longer
 * line with "!!! line too long (over 4096 bytes), not sent"; the client
 * does not send one. */
#define SL_CHAT_LINE_MAX 4096

#endif
