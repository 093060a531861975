# Installs tinycnn from SOURCE_DIR into a scratch prefix, then builds and runs the consumer project
# against it (find_package), and again with add_subdirectory. Run by CTest.
set(scratch ${WORK_DIR}/package_check)
file(REMOVE_RECURSE ${scratch})
function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGV}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()
run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${scratch}/lib -DCMAKE_BUILD_TYPE=Release -DTINYCNN_BUILD_TESTS=OFF
    -DTINYCNN_BUILD_EXAMPLES=OFF -DTINYCNN_BUILD_BENCHMARKS=OFF -DTINYCNN_INSTALL=ON)
run(${CMAKE_COMMAND} --install ${scratch}/lib --prefix ${scratch}/prefix)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer -B ${scratch}/installed
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${scratch}/prefix)
run(${CMAKE_COMMAND} --build ${scratch}/installed)
run(${scratch}/installed/consumer)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer -B ${scratch}/vendored
    -DCMAKE_BUILD_TYPE=Release -DTINYCNN_VENDORED=${SOURCE_DIR})
run(${CMAKE_COMMAND} --build ${scratch}/vendored)
run(${scratch}/vendored/consumer)
file(REMOVE_RECURSE ${scratch})
