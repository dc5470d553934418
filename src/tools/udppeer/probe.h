/* The probe: a sender of numbered datagrams and a receiver that counts. */
#ifndef UDPPEER_PROBE_H
#define UDPPEER_PROBE_H

#include <stdint.h>
#include <stdio.h>

#include "options.h"
#include "socklab/probe.h"
#include "socklab/trace.h"

/* Sends the run to the receiver and prints its report. Exit status. */
int probe_send_run(const char *prog, const struct udppeer_options *opt, int stop_fd,
                   const struct sl_trace *t);

/* Receives runs on bound UDP socket FD and TCP listening socket LFD until
 * STOP_FD is readable (or after one run with --once). Exit status. */
int probe_listen_run(const char *prog, const struct udppeer_options *opt, int fd, int lfd,
                     int stop_fd, const struct sl_trace *t);

/* One line with a run's figures, the same on both sides:
 * "received 990 + lost 10 = 1000 sent; duplicates 3, out of order 5; ..." */
void probe_print_result(FILE *out, const char *what, uint64_t count,
                        const struct sl_probe_result *r);

#endif
