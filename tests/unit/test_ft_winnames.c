/* The names Windows cannot hold or treats as devices: ftrecv refuses them
 * on Windows (sl_ft_check_name_windows, pure, tested here on Linux). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "socklab/ft_proto.h"

static void expect_ok(const char *name)
{
    char err[SL_ERRLEN] = "";
    if (sl_ft_check_name_windows(name, strlen(name), err) != 0)
        fail_msg("\"%s\" refused: %s", name, err);
}

/* Refused, with a message that contains WHY. */
static void expect_refused(const char *name, const char *why)
{
    char err[SL_ERRLEN] = "";
    if (sl_ft_check_name_windows(name, strlen(name), err) != -1)
        fail_msg("\"%s\" accepted", name);
    if (strstr(err, why) == NULL)
        fail_msg("\"%s\": \"%s\" does not say \"%s\"", name, err, why);
}

static void test_ordinary_names_pass(void **state)
{
    (void)state;
    expect_ok("report.pdf");
    expect_ok("作业/第一章 网络编程.txt");
    expect_ok(".hidden");
    expect_ok("a b.c");
    expect_ok("console.txt"); /* CON only as the whole stem */
    expect_ok("CONX");
    expect_ok("nul_not");
    expect_ok("COM0");  /* COM0 and LPT0 are not devices */
    expect_ok("LPT10"); /* two digits: not a device */
    expect_ok("xcon");
    expect_ok("com1x.txt");
    expect_ok("COM\xC2\xB4"); /* an acute accent, not a superscript */
}

static void test_devices_in_any_case_with_any_extension(void **state)
{
    (void)state;
    const char *devices[] = {"CON",       "con",      "Prn",         "aux",
                             "NUL",       "nul.txt",  "Nul.tar.gz",  "COM1",
                             "com9.log",  "LPT1",     "lpt5.x",      "CONIN$",
                             "conout$.a", "con .txt", "COM\xC2\xB9", "lpt\xC2\xB3.txt"};
    for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++)
        expect_refused(devices[i], "Windows device");
    char err[SL_ERRLEN];
    assert_int_equal(sl_ft_check_name_windows("con.txt", 7, err), -1);
    assert_non_null(strstr(err, "device con")); /* names the device as the sender wrote it */
}

static void test_trailing_dot_or_space(void **state)
{
    (void)state;
    expect_refused("a.", "ends in '.'");
    expect_refused("b ", "ends in ' '");
    expect_refused("dir./x", "ends in '.'");
    expect_refused("ok/then ", "ends in ' '");
}

static void test_forbidden_characters(void **state)
{
    (void)state;
    expect_refused("x:y", "NTFS stream");
    expect_refused("a\\b", "'\\'");
    const char *bad = "<>\"|?*";
    for (const char *c = bad; *c; c++) {
        char name[8] = {'a', *c, 'b', '\0'};
        char want[4] = {'\'', *c, '\'', '\0'};
        expect_refused(name, want);
    }
    expect_refused("a\x01z", "control");
    expect_refused("a\x1fz", "control");
}

static void test_every_component_checked(void **state)
{
    (void)state;
    expect_refused("con/file.txt", "Windows device");
    expect_refused("a/b/aux.c", "Windows device");
    expect_refused("a/b:c/d", "NTFS stream");
    expect_ok("a/b/c.d");
    /* LEN, not the NUL, ends the name: "nul" cut from "nul.txt/x" still is NUL */
    char err[SL_ERRLEN];
    assert_int_equal(sl_ft_check_name_windows("nulx", 3, err), -1);
    assert_int_equal(sl_ft_check_name_windows("a.b", 2, err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ordinary_names_pass),
        cmocka_unit_test(test_devices_in_any_case_with_any_extension),
        cmocka_unit_test(test_trailing_dot_or_space),
        cmocka_unit_test(test_forbidden_characters),
        cmocka_unit_test(test_every_component_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
