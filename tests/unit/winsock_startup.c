/* Linked into every unit test of the Windows build (tests/unit/CMakeLists.txt):
 * Winsock wants the notes' step 1, WSAStartup, before any socket call, and
 * the tests make their POSIX-shaped socket calls straight from main. */
#include <stdlib.h>
#include <winsock2.h>

__attribute__((constructor)) static void winsock_startup(void)
{
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0)
        abort();
}
