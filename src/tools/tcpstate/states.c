/* What each TCP state means, in the words of the classroom notes. */
#include "states.h"

#include <stddef.h>

#include "socklab/trace.h"

const char *tcp_state_name(int state)
{
    return sl_tcp_state_name(state);
}

const char *tcp_state_explain(int state)
{
    /* Indexed by the Linux state number (include/net/tcp_states.h). */
    static const char *const text[] = {
        [1] = "连接已建立，可以双向传输数据 / connection open, data flows both ways",
        [2] = "已发送 SYN，等待对方的 SYN+ACK / sent a SYN, waiting for the peer's SYN+ACK",
        [3] = "收到 SYN 并已回复 SYN+ACK，等待对方的 ACK / got a SYN and answered "
              "SYN+ACK, waiting for the ACK",
        [4] = "本端已关闭并发出 FIN，等待对方确认 / this side closed and sent its FIN, "
              "waiting for the ACK",
        [5] = "本端的 FIN 已被确认，等待对方的 FIN / our FIN was acknowledged, waiting for "
              "the peer's FIN",
        [6] = "双方都已关闭，等待 2MSL 让迟到的报文消失 / both sides closed, waiting 2MSL "
              "for stray segments to die out",
        [7] = "没有连接 / no connection",
        [8] = "收到对方的 FIN，等待本端关闭 / received the peer's FIN, waiting for this "
              "side to close",
        [9] = "对方先关闭，本端随后发出 FIN，等待最后的 ACK / closed after the peer and sent "
              "our FIN, waiting for the last ACK",
        [10] = "等待连接请求 / waiting for a connection request",
        [11] = "双方同时关闭，等待对方确认本端的 FIN / both sides closed at once, waiting "
               "for the ACK of our FIN",
    };
    if (state < 1 || state >= (int)(sizeof text / sizeof text[0]) || !text[state])
        return "";
    return text[state];
}
