/* windows: skip — its fixtures are POSIX (mkdtemp, symlink, mode bits); the Windows side is it.test_windows_ftrecv under Wine */
/* The platform layer's directory-handle file calls (POSIX side): every
 * name one component below a directory, never through a symbolic link. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "socklab/platform.h"

struct fixture {
    char top[64]; /* a fresh directory: inbox/ and outside/ in it */
    int inbox;
    char outside[96];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    snprintf(f->top, sizeof f->top, "/tmp/socklab-files-XXXXXX");
    if (mkdtemp(f->top) == NULL)
        return -1;
    char inbox[96];
    snprintf(inbox, sizeof inbox, "%s/inbox", f->top);
    snprintf(f->outside, sizeof f->outside, "%s/outside", f->top);
    if (sl_dir_make(inbox) < 0 || mkdir(f->outside, 0755) < 0)
        return -1;
    f->inbox = sl_dir_open(inbox);
    *state = f;
    return f->inbox < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];
    close(f->inbox);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->top);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

/* OUTSIDE/secret, and a symlink NAME in the inbox leading to it (or to
 * OUTSIDE itself when TO_DIR). */
static void plant_link(struct fixture *f, const char *name, int to_dir)
{
    char secret[128], link[128];
    snprintf(secret, sizeof secret, "%s/secret", f->outside);
    FILE *s = fopen(secret, "w");
    assert_non_null(s);
    fputs("secret", s);
    fclose(s);
    snprintf(link, sizeof link, "%s/inbox/%s", f->top, name);
    assert_int_equal(symlink(to_dir ? f->outside : secret, link), 0);
}

static void assert_secret_untouched(struct fixture *f)
{
    char secret[128], got[16] = "";
    snprintf(secret, sizeof secret, "%s/secret", f->outside);
    FILE *s = fopen(secret, "r");
    assert_non_null(s);
    assert_non_null(fgets(got, sizeof got, s));
    fclose(s);
    assert_string_equal(got, "secret");
}

static void test_links_are_never_followed(void **state)
{
    struct fixture *f = *state;
    struct sl_file_stat st;
    plant_link(f, "dirlink", 1);
    plant_link(f, "filelink", 0);
    errno = 0;
    assert_int_equal(sl_dir_open_at(f->inbox, "dirlink"), -1);
    assert_true(errno == ELOOP || errno == ENOTDIR);
    assert_int_equal(sl_file_open_at(f->inbox, "filelink", SL_OPEN_EXISTING), -1);
    assert_int_equal(errno, ELOOP);
    assert_int_equal(sl_file_open_at(f->inbox, "filelink", SL_OPEN_READ), -1);
    assert_int_equal(sl_file_open_at(f->inbox, "filelink", SL_OPEN_NEW), -1);
    assert_int_equal(errno, EEXIST);
    assert_int_equal(sl_file_open_at(f->inbox, "filelink", SL_OPEN_APPEND), -1);
    assert_int_equal(sl_file_stat_at(f->inbox, "filelink", &st), 0);
    assert_true(st.link);
    assert_int_equal(sl_file_stat_at(f->inbox, "dirlink", &st), 0);
    assert_true(st.link);
    assert_int_equal(st.kind, SL_PATH_OTHER);
    /* Removing a link removes the link, never its target. */
    assert_int_equal(sl_file_remove_at(f->inbox, "filelink"), 0);
    assert_int_equal(sl_file_stat_at(f->inbox, "filelink", &st), -1);
    assert_int_equal(errno, ENOENT);
    assert_secret_untouched(f);
}

static void test_new_file_identity_and_names(void **state)
{
    struct fixture *f = *state;
    struct sl_file_stat st;
    int fd = sl_file_open_at(f->inbox, "tmp", SL_OPEN_NEW);
    assert_true(fd >= 0);
    assert_int_equal(sl_file_open_at(f->inbox, "tmp", SL_OPEN_NEW), -1);
    assert_int_equal(errno, EEXIST);
    assert_int_equal(write(fd, "hello", 5), 5);
    assert_int_equal(sl_file_stat(fd, &st), 0);
    assert_int_equal(st.kind, SL_PATH_FILE);
    assert_int_equal(st.size, 5);
    assert_int_equal(st.nlink, 1);
    assert_true(st.ours);
    assert_true(sl_file_is_named(fd, f->inbox, "tmp"));
    /* The no-replace link: a second name, EEXIST once taken. */
    assert_int_equal(sl_file_link_new(fd, f->inbox, "tmp", "final"), 0);
    assert_true(sl_file_is_named(fd, f->inbox, "final"));
    assert_int_equal(sl_file_link_new(fd, f->inbox, "tmp", "final"), -1);
    assert_int_equal(errno, EEXIST);
    /* A link to our file is not our file's name. */
    plant_link(f, "other", 0);
    assert_false(sl_file_is_named(fd, f->inbox, "other"));
    assert_false(sl_file_is_named(fd, f->inbox, "missing"));
    /* Swapped: the temporary name now leads elsewhere; the link made
     * from the open file still gets our file (/proc/self/fd). */
    assert_int_equal(sl_file_rename_at(f->inbox, "other", "tmp"), 0);
    assert_false(sl_file_is_named(fd, f->inbox, "tmp"));
    assert_int_equal(sl_file_link_new(fd, f->inbox, "tmp", "again"), 0);
    assert_true(sl_file_is_named(fd, f->inbox, "again"));
    assert_secret_untouched(f);
    close(fd);
}

static void test_lock_truncate_times_space(void **state)
{
    struct fixture *f = *state;
    struct sl_file_stat st;
    int fd = sl_file_open_at(f->inbox, "part", SL_OPEN_NEW);
    assert_true(fd >= 0);
    int other = sl_file_open_at(f->inbox, "part", SL_OPEN_EXISTING);
    assert_true(other >= 0);
    assert_int_equal(sl_file_lock(fd), 0);
    assert_int_equal(sl_file_lock(other), -1);
    assert_true(errno == EWOULDBLOCK || errno == EAGAIN);
    assert_int_equal(write(fd, "0123456789", 10), 10);
    assert_int_equal(sl_file_truncate(fd, 4), 0);
    assert_int_equal(sl_file_seek(fd, 4), 0);
    assert_int_equal(write(fd, "X", 1), 1);
    assert_int_equal(sl_file_set_mode(fd, 04751), 0);
    assert_int_equal(sl_file_set_mtime(fd, 1600000000), 0);
    assert_int_equal(sl_file_sync(fd), 0);
    assert_int_equal(sl_file_stat(other, &st), 0);
    assert_int_equal(st.size, 5);
    assert_int_equal(st.mtime, 1600000000);
    struct stat raw;
    assert_int_equal(fstat(fd, &raw), 0);
    assert_int_equal(raw.st_mode & 07777, 0751); /* permission bits only */
    uint64_t free_bytes = 0;
    assert_int_equal(sl_fs_free_bytes(f->inbox, &free_bytes), 0);
    assert_true(free_bytes > 0);
    close(other);
    close(fd);
}

static void test_directories(void **state)
{
    struct fixture *f = *state;
    struct sl_file_stat st;
    assert_int_equal(sl_dir_make_at(f->inbox, "sub"), 0);
    assert_int_equal(sl_dir_make_at(f->inbox, "sub"), -1);
    assert_int_equal(errno, EEXIST);
    int sub = sl_dir_open_at(f->inbox, "sub");
    assert_true(sub >= 0);
    int fd = sl_file_open_at(sub, "a", SL_OPEN_NEW);
    assert_true(fd >= 0);
    close(fd);
    char **names;
    size_t n;
    assert_int_equal(sl_dir_names_at(sub, &names, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(names[0], "a");
    free(names[0]);
    free(names);
    assert_int_equal(sl_dir_remove_at(f->inbox, "sub"), -1); /* not empty */
    assert_int_equal(errno, ENOTEMPTY);
    assert_int_equal(sl_file_remove_at(sub, "a"), 0);
    assert_int_equal(sl_dir_sync(sub), 0);
    close(sub);
    assert_int_equal(sl_dir_remove_at(f->inbox, "sub"), 0);
    assert_int_equal(sl_file_stat_at(f->inbox, "sub", &st), -1);
}

static void test_posix_holds_every_checked_name(void **state)
{
    (void)state;
    char err[SL_ERRLEN];
    /* Windows' devices and characters are plain names here. */
    assert_int_equal(sl_platform_check_name("con.txt", 7, err), 0);
    assert_int_equal(sl_platform_check_name("a:b", 3, err), 0);
    assert_int_equal(sl_platform_check_name("trailing.", 9, err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_links_are_never_followed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_file_identity_and_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_truncate_times_space, setup, teardown),
        cmocka_unit_test_setup_teardown(test_directories, setup, teardown),
        cmocka_unit_test(test_posix_holds_every_checked_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
