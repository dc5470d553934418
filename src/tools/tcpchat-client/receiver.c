/* Step 5 on the main thread, as in the notes: wait for what the server
 * sends and show it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "socklab/linereader.h"
#include "socklab/platform.h"

int receive_lines(struct chat_ui *ui, char err[SL_ERRLEN])
{
    struct sl_linereader lr;
    int rc = -1;

    if (sl_lr_init(&lr, ui->fd, CHAT_RECV_LINE_MAX) < 0) {
        snprintf(err, SL_ERRLEN, "out of memory");
        return -1;
    }
    for (;;) {
        const char *line;
        size_t len;
        enum sl_line_status st = sl_lr_next(&lr, &line, &len);
        if (st == SL_LINE_OK) {
            ui_show_incoming(ui, line, len);
        } else if (st == SL_LINE_TOOLONG) {
            ui_message(ui, "a line from the server was longer than %d bytes: skipped",
                       CHAT_RECV_LINE_MAX);
        } else if (st == SL_LINE_EOF) {
            /* After our own end of input the server closing is the normal end. */
            if (atomic_load(&ui->input_done))
                rc = 0;
            else
                snprintf(err, SL_ERRLEN, "the server closed the connection");
            break;
        } else {
            char why[SL_ERRLEN];
            snprintf(err, SL_ERRLEN, "connection lost: %s", sl_strerror(errno, why, sizeof why));
            break;
        }
    }
    sl_lr_free(&lr);
    return rc;
}
