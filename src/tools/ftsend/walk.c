/* Turning the command line into a list of files and the names they get. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ftsend.h"
#include "socklab/cli.h"
#include "socklab/platform.h"

static int add(struct send_list *list, const char *path, const char *name)
{
    if (list->n == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 16;
        struct send_item *items = realloc(list->items, cap * sizeof *items);
        if (items == NULL)
            return -1;
        list->items = items;
        list->cap = cap;
    }
    list->items[list->n].path = strdup(path);
    list->items[list->n].name = strdup(name);
    if (!list->items[list->n].path || !list->items[list->n].name)
        return -1;
    list->n++;
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the tree under PATH, named NAME/... there. Entries in name order so
 * that a tree is sent the same way every time. */
static int add_tree(struct send_list *list, const char *prog, const char *path, const char *name)
{
    char **names;
    size_t n;
    if (sl_dir_names(path, &names, &n) < 0) {
        sl_cli_log(prog, "%s: %s", path, SL_STRERROR(errno));
        return -1;
    }
    int rc = 0;
    qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n && rc == 0; i++) {
        size_t plen = strlen(path) + strlen(names[i]) + 2;
        size_t nlen = strlen(name) + strlen(names[i]) + 2;
        char *sub = malloc(plen), *subname = malloc(nlen);
        enum sl_path_kind kind;
        if (sub == NULL || subname == NULL) {
            sl_cli_log(prog, "%s: out of memory", path);
            rc = -1;
        } else if (snprintf(sub, plen, "%s/%s", path, names[i]) < 0 ||
                   snprintf(subname, nlen, "%s/%s", name, names[i]) < 0 ||
                   sl_path_kind(sub, false, &kind) < 0) {
            /* A file we cannot even look at would be missing over there:
             * stop before sending anything rather than exit 0 without it. */
            sl_cli_log(prog, "%s: %s", sub, SL_STRERROR(errno));
            rc = -1;
        } else if (kind == SL_PATH_DIR)
            rc = add_tree(list, prog, sub, subname);
        else if (kind == SL_PATH_FILE)
            rc = add(list, sub, subname);
        else
            sl_cli_log(prog, "%s: skipped (not a regular file)", sub);
        free(sub);
        free(subname);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int walk_add(struct send_list *list, const char *prog, const char *arg, bool recursive)
{
    enum sl_path_kind kind;
    if (sl_path_kind(arg, true, &kind) < 0) {
        sl_cli_log(prog, "%s: %s", arg, SL_STRERROR(errno));
        return -1;
    }
    /* The name there is the last component here: "dir/sub/" -> "sub". */
    char *copy = strdup(arg);
    char *real = NULL;
    if (copy == NULL) {
        sl_cli_log(prog, "%s: out of memory", arg);
        return -1;
    }
    size_t len = strlen(copy);
    while (len > 1 && copy[len - 1] == '/')
        copy[--len] = '\0';
    const char *base = sl_path_last(copy);
    if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || *base == '\0') {
        /* "ftsend -r host ." sends the directory under its real name. */
        real = sl_path_real(arg);
        base = real ? sl_path_last(real) : "";
        if (*base == '\0') {
            sl_cli_log(prog, "%s: has no name to send it under", arg);
            free(real);
            free(copy);
            return -1;
        }
    }
    int rc;
    if (kind == SL_PATH_DIR) {
        if (!recursive) {
            sl_cli_log(prog, "%s: is a directory (use -r to send a tree)", arg);
            rc = -1;
        } else {
            rc = add_tree(list, prog, copy, base);
        }
    } else if (kind == SL_PATH_FILE) {
        rc = add(list, arg, base);
    } else {
        sl_cli_log(prog, "%s: not a regular file", arg);
        rc = -1;
    }
    free(real);
    free(copy);
    return rc;
}

void walk_free(struct send_list *list)
{
    for (size_t i = 0; i < list->n; i++) {
        free(list->items[i].path);
        free(list->items[i].name);
    }
    free(list->items);
}
