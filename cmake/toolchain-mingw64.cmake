# Cross-compiling for 64-bit Windows with Debian's mingw-w64 (the -posix
# flavour: its winpthreads gives us pthreads). Used by the `windows` preset.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(SOCKLAB_MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${SOCKLAB_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_RC_COMPILER ${SOCKLAB_MINGW_TRIPLE}-windres)

set(CMAKE_FIND_ROOT_PATH /usr/${SOCKLAB_MINGW_TRIPLE})
# Libraries cross-built for the tests (scripts/windows-cmocka: CMocka).
if(SOCKLAB_WINDOWS_DEPS)
  list(APPEND CMAKE_FIND_ROOT_PATH ${SOCKLAB_WINDOWS_DEPS}/cmocka)
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Run the .exe files of try_run() and tests through Wine when it is there.
find_program(SOCKLAB_WINE NAMES wine64 wine PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH)
if(SOCKLAB_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${SOCKLAB_WINE})
endif()
