# The Windows unit tests run through ctest under Wine: CMAKE_CROSSCOMPILING_EMULATOR
# (the toolchain file's wine64), in a throwaway WINEPREFIX that the fixture
# "wine" makes before them and removes after them (wine_prefix.cmake).
if(NOT SOCKLAB_WINE)
  message(WARNING "wine64 not found: the Windows unit tests are built, not run (apt-get install wine64)")
endif()
set(SOCKLAB_UNIT_WINEPREFIX ${CMAKE_BINARY_DIR}/tests/wineprefix)

if(SOCKLAB_WINE)
  foreach(step setup cleanup)
    add_test(NAME unit.wine_${step}
             COMMAND ${CMAKE_COMMAND} -DWINE=${SOCKLAB_WINE} -DPREFIX=${SOCKLAB_UNIT_WINEPREFIX}
                     -DSTEP=${step} -P ${CMAKE_CURRENT_SOURCE_DIR}/wine_prefix.cmake)
    string(TOUPPER ${step} fixture_role)
    set_tests_properties(unit.wine_${step} PROPERTIES FIXTURES_${fixture_role} wine LABELS unit
                                                      TIMEOUT 240)
  endforeach()
endif()

# Test unit.<name> runs under Wine, in the fixture's prefix.
function(sl_unit_test_under_wine name)
  if(NOT SOCKLAB_WINE)
    set_tests_properties(unit.${name} PROPERTIES DISABLED TRUE)
    return()
  endif()
  set_tests_properties(unit.${name} PROPERTIES
    FIXTURES_REQUIRED wine
    ENVIRONMENT "WINEPREFIX=${SOCKLAB_UNIT_WINEPREFIX};WINEDEBUG=-all;WINEDLLOVERRIDES=mscoree,mshtml=")
endfunction()
