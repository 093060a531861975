# Installs tinycnn from SOURCE_DIR into a scratch prefix, then builds and runs the consumer project
# against it (find_package), with pkg-config and g++ alone, and again with add_subdirectory. A
# consumer configured without a build type is warned that it builds unoptimised. Run by CTest.
set(scratch ${WORK_DIR}/package_check)
file(REMOVE_RECURSE ${scratch})
include(${CMAKE_CURRENT_LIST_DIR}/run.cmake)
set(warning "tinycnn: CMAKE_BUILD_TYPE is empty, so this project is built without optimisation")
run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${scratch}/lib -DCMAKE_BUILD_TYPE=Release -DTINYCNN_BUILD_TESTS=OFF
    -DTINYCNN_BUILD_EXAMPLES=OFF -DTINYCNN_BUILD_BENCHMARKS=OFF -DTINYCNN_BUILD_TOOLS=OFF -DTINYCNN_INSTALL=ON)
run(${CMAKE_COMMAND} --install ${scratch}/lib --prefix ${scratch}/prefix)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer -B ${scratch}/installed
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${scratch}/prefix)
if(run_err MATCHES "CMAKE_BUILD_TYPE is empty")
  message(FATAL_ERROR "a Release consumer was warned about an empty build type:\n${run_err}")
endif()
run(${CMAKE_COMMAND} --build ${scratch}/installed)
run(${scratch}/installed/consumer)
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer -B ${scratch}/no_build_type
    -DCMAKE_PREFIX_PATH=${scratch}/prefix)
string(REGEX REPLACE "[ \t\r\n]+" " " one_line "${run_err}")
if(NOT one_line MATCHES "${warning}")
  message(FATAL_ERROR "a consumer without a build type was not warned:\n${run_err}")
endif()
# pkg-config and the compiler alone; the instruction set is the user's flag.
find_program(PKG_CONFIG pkg-config)
if(PKG_CONFIG)
  set(ENV{PKG_CONFIG_PATH} ${scratch}/prefix/share/pkgconfig)
  execute_process(COMMAND ${PKG_CONFIG} --cflags --libs tinycnn RESULT_VARIABLE rc OUTPUT_VARIABLE flags
                  ERROR_VARIABLE err OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0 OR NOT flags MATCHES "-I${scratch}/prefix/share/pkgconfig/../../include")
    message(FATAL_ERROR "pkg-config --cflags --libs tinycnn gave (${rc}): ${flags}${err}")
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  run(${CXX} -O2 -march=haswell ${SOURCE_DIR}/tests/package/consumer/main.cpp ${flags} -o ${scratch}/pkgconfig_consumer)
  run(${scratch}/pkgconfig_consumer)
else()
  message(FATAL_ERROR "pkg-config is missing (Debian: pkg-config)")
endif()
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer -B ${scratch}/vendored
    -DCMAKE_BUILD_TYPE=Release -DTINYCNN_VENDORED=${SOURCE_DIR})
run(${CMAKE_COMMAND} --build ${scratch}/vendored)
run(${scratch}/vendored/consumer)
file(REMOVE_RECURSE ${scratch})
