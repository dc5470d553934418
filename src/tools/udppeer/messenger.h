/* The messenger: lines in, datagrams out; datagrams in, lines out. */
#ifndef UDPPEER_MESSENGER_H
#define UDPPEER_MESSENGER_H

#include "options.h"
#include "socklab/trace.h"

/* Runs the messenger on bound socket FD until end of input (plus --wait) or
 * until STOP_FD is readable. Returns the exit status. */
int messenger_run(const char *prog, const struct udppeer_options *opt, int fd, int stop_fd,
                  const struct sl_trace *t);

#endif
