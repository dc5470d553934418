/* socklab: the socket mechanics of the classroom notes, written once. */
#ifndef SOCKLAB_H
#define SOCKLAB_H

#include "socklab/addr.h"
#include "socklab/bytes.h"
#include "socklab/chat_proto.h"
#include "socklab/cli.h"
#include "socklab/crc32c.h"
#include "socklab/sha256.h"
#include "socklab/err.h"
#include "socklab/ft_proto.h"
#include "socklab/io.h"
#include "socklab/lineedit.h"
#include "socklab/linereader.h"
#include "socklab/platform.h"
#include "socklab/probe.h"
#include "socklab/runtime.h"
#include "socklab/server.h"
#include "socklab/shutdown.h"
#include "socklab/tcp.h"
#include "socklab/term.h"
#include "socklab/trace.h"
#include "socklab/udp.h"
#include "socklab/utf8.h"
#include "socklab/version.h"

#endif
