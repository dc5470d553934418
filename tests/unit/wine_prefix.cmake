# The throwaway WINEPREFIX of the Windows unit tests (ctest fixture "wine").
#   cmake -DWINE=<wine64> -DPREFIX=<dir> -DSTEP=setup|cleanup -P wine_prefix.cmake
# setup makes a fresh prefix once, so that parallel tests do not each race to
# create it, and keeps its wineserver up while they run (one left to exit
# when idle can be on its way out as the next test starts); cleanup stops
# that wineserver and removes the prefix.
get_filename_component(wine_dir ${WINE} DIRECTORY)
set(wineserver ${wine_dir}/wineserver)
set(ENV{WINEPREFIX} ${PREFIX})
set(ENV{WINEDEBUG} -all)
set(ENV{WINEDLLOVERRIDES} "mscoree,mshtml=")
# Into a file, not a pipe: the wineserver and services Wine leaves running
# would hold a pipe open, and ctest would wait for them.
set(log ${PREFIX}.log)

if(STEP STREQUAL "setup")
  if(EXISTS ${PREFIX})
    execute_process(COMMAND ${wineserver} -k OUTPUT_FILE ${log} ERROR_FILE ${log})
    file(REMOVE_RECURSE ${PREFIX})
  endif()
  execute_process(COMMAND ${WINE} wineboot -i RESULT_VARIABLE rc OUTPUT_FILE ${log}
                  ERROR_FILE ${log} TIMEOUT 180)
  if(NOT rc EQUAL 0)
    file(READ ${log} why)
    message(FATAL_ERROR "wineboot -i failed (${rc}): Wine cannot run the tests here\n${why}")
  endif()
  # Persistent, yet gone 60 s after the last test even if cleanup never runs.
  execute_process(COMMAND ${wineserver} -p60 OUTPUT_FILE ${log} ERROR_FILE ${log})
elseif(STEP STREQUAL "cleanup")
  execute_process(COMMAND ${wineserver} -k OUTPUT_FILE ${log} ERROR_FILE ${log})
  execute_process(COMMAND ${wineserver} -w OUTPUT_FILE ${log} ERROR_FILE ${log} TIMEOUT 30)
  file(REMOVE_RECURSE ${PREFIX} ${log})
else()
  message(FATAL_ERROR "STEP must be setup or cleanup")
endif()
