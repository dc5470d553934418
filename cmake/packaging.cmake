# Releases (issue 12): what `cmake --install` puts where, and the two packages
# cpack makes from it:
#   Linux:   socklab_VERSION_amd64.deb - tools, gzipped man pages, and for
#            programs of one's own the static library, its headers,
#            socklab.pc (pkg-config) and a CMake package (find_package).
#   Windows: socklab-VERSION-win64.zip - the .exe files, the man pages as
#            plain UTF-8 text, README.md and LICENSE; no development files.
# scripts/check-release builds, installs and uses both.

# The man pages of the tools this build makes (the Windows build leaves some out).
file(GLOB socklab_man_sources ${PROJECT_SOURCE_DIR}/docs/man/*.1)
list(SORT socklab_man_sources)
set(socklab_man_outputs)
file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/man)
if(WIN32)
  # No man on Windows: rendered once here, without overstrike, for Notepad.
  find_program(SOCKLAB_GROFF groff REQUIRED)
  set(socklab_man_render ${SOCKLAB_GROFF} -k -man -Tutf8 -P-cbou)
  set(socklab_man_suffix .txt)
else()
  # Debian policy: man pages gzipped, -n so the package is reproducible.
  find_program(SOCKLAB_GZIP gzip REQUIRED)
  set(socklab_man_render ${SOCKLAB_GZIP} -9nc)
  set(socklab_man_suffix .1.gz)
endif()
foreach(page IN LISTS socklab_man_sources)
  get_filename_component(tool ${page} NAME_WE)
  if(NOT TARGET ${tool})
    continue()
  endif()
  set(out ${PROJECT_BINARY_DIR}/man/${tool}${socklab_man_suffix})
  add_custom_command(OUTPUT ${out}
    COMMAND ${socklab_man_render} ${page} > ${out}
    DEPENDS ${page} VERBATIM)
  list(APPEND socklab_man_outputs ${out})
endforeach()
add_custom_target(socklab_man_pages ALL DEPENDS ${socklab_man_outputs})

if(WIN32)
  install(FILES ${socklab_man_outputs} DESTINATION man)
  install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION .)
else()
  install(FILES ${socklab_man_outputs} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
  # Debian keeps the license as /usr/share/doc/<package>/copyright.
  install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
  install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR}
          RENAME copyright)

  # The headers use POSIX declarations (struct addrinfo...): a program built
  # with -std=c11 needs the feature macro the library is built with.
  set(socklab_posix_define _POSIX_C_SOURCE=200809L)
  set_property(TARGET socklab APPEND PROPERTY INTERFACE_COMPILE_DEFINITIONS
               $<INSTALL_INTERFACE:${socklab_posix_define}>)

  # find_package(socklab): socklab::socklab with its Threads dependency.
  include(CMakePackageConfigHelpers)
  set(socklab_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/socklab)
  install(EXPORT socklab-targets NAMESPACE socklab:: DESTINATION ${socklab_cmake_dir})
  configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/socklab-config.cmake.in
    ${PROJECT_BINARY_DIR}/socklab-config.cmake INSTALL_DESTINATION ${socklab_cmake_dir})
  write_basic_package_version_file(${PROJECT_BINARY_DIR}/socklab-config-version.cmake
    COMPATIBILITY SameMinorVersion) # 0.x: a new minor version may break the API
  install(FILES ${PROJECT_BINARY_DIR}/socklab-config.cmake
                ${PROJECT_BINARY_DIR}/socklab-config-version.cmake
          DESTINATION ${socklab_cmake_dir})

  # pkg-config: paths relative to the .pc file, so any install prefix works.
  file(RELATIVE_PATH SOCKLAB_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
  string(REGEX REPLACE "/$" "" SOCKLAB_PC_TO_PREFIX ${SOCKLAB_PC_TO_PREFIX})
  configure_file(${PROJECT_SOURCE_DIR}/cmake/socklab.pc.in ${PROJECT_BINARY_DIR}/socklab.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/socklab.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endif()

set(CPACK_PACKAGE_NAME socklab)
set(CPACK_PACKAGE_VENDOR "socklab developers")
set(CPACK_PACKAGE_CONTACT "socklab developers")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "BSD sockets lab toolkit: chat, file transfer, UDP, TCP states")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_RESOURCE_FILE_README ${PROJECT_SOURCE_DIR}/README.md)
if(WIN32)
  set(CPACK_GENERATOR ZIP)
  set(CPACK_PACKAGE_FILE_NAME socklab-${PROJECT_VERSION}-win64)
else()
  set(CPACK_GENERATOR DEB)
  set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # socklab_VERSION_ARCH.deb
  set(CPACK_DEBIAN_PACKAGE_MAINTAINER "socklab developers")
  set(CPACK_DEBIAN_PACKAGE_SECTION net)
  # The body under the summary line.
  set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
"Small BSD-sockets tools for network-programming lab classes: a chat room
(tcpchat-server, tcpchat-client), verified and resumable file transfer with
a hand-in mode (ftsend, ftrecv), a UDP messenger and loss probe (udppeer),
the TCP states of this machine (tcpstate) and RFC 862 echo (tcpecho-server,
tcpecho-client). Each follows the numbered steps of the classroom notes and
prints them with --trace.
.
Also the static library libsocklab.a with its headers, socklab.pc and a
CMake package, to build programs of one's own.")
  find_program(SOCKLAB_DPKG_SHLIBDEPS dpkg-shlibdeps)
  if(SOCKLAB_DPKG_SHLIBDEPS)
    set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  else()
    # The tools link only libc (pthreads included since glibc 2.34).
    set(CPACK_DEBIAN_PACKAGE_DEPENDS "libc6 (>= 2.34)")
  endif()
endif()
include(CPack)
