/* The eleven TCP states, each with a one-line explanation for students. */
#ifndef TCPSTATE_STATES_H
#define TCPSTATE_STATES_H

/* "ESTABLISHED", ... for a Linux TCP state number (1..11), or "?". */
const char *tcp_state_name(int state);

/* "中文 / English" explanation of STATE, or "" for an unknown number. */
const char *tcp_state_explain(int state);

#endif
