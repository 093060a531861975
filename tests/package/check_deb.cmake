# The Debian package of this build tree (cpack -G DEB): its dependencies and contents, and, unpacked
# into a scratch root, the packaged programs' --version and the consumer project built against the
# packaged CMake files and, with g++ alone, against its pkg-config file. Run by CTest.
#   cmake -DBUILD_DIR=<build tree> -DSOURCE_DIR=<source> -DWORK_DIR=<scratch> -DCXX=<compiler>
#         -DVERSION=<version> -P check_deb.cmake
set(scratch ${WORK_DIR}/deb_check)
file(REMOVE_RECURSE ${scratch})
include(${CMAKE_CURRENT_LIST_DIR}/run.cmake)

run(cpack -G DEB --config ${BUILD_DIR}/CPackConfig.cmake -B ${scratch})
file(GLOB debs ${scratch}/tinycnn_*.deb)
list(LENGTH debs count)
if(NOT count EQUAL 1)
  message(FATAL_ERROR "expected one tinycnn_*.deb in ${scratch}, found: ${debs}")
endif()

run(dpkg-deb -f ${debs} Package Version Depends)
foreach(expected "Package: tinycnn" "Version: ${VERSION}" "libxsimd-dev \\(>= 8.1\\)" "libgomp1" "libstdc\\+\\+6")
  if(NOT run_out MATCHES "${expected}")
    message(FATAL_ERROR "the package's control fields lack '${expected}':\n${run_out}")
  endif()
endforeach()
run(dpkg-deb -c ${debs})
foreach(file usr/bin/cnn_benchmark usr/bin/mnist_deep usr/bin/tinycnn_checkpoint usr/include/tinycnn/all.hpp
             usr/share/pkgconfig/tinycnn.pc usr/share/cmake/tinycnn/tinycnnConfig.cmake)
  if(NOT run_out MATCHES " \\./${file}\n")
    message(FATAL_ERROR "the package lacks /${file}:\n${run_out}")
  endif()
endforeach()

set(root ${scratch}/root)
run(dpkg-deb -x ${debs} ${root})
foreach(program cnn_benchmark mnist_deep tinycnn_checkpoint)
  run(${root}/usr/bin/${program} --version)
  if(NOT run_out MATCHES "^${program} ${VERSION} ")
    message(FATAL_ERROR "the packaged ${program} --version printed: ${run_out}")
  endif()
endforeach()
run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/consumer -B ${scratch}/consumer -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_PREFIX_PATH=${root}/usr)
run(${CMAKE_COMMAND} --build ${scratch}/consumer)
run(${scratch}/consumer/consumer)
set(ENV{PKG_CONFIG_PATH} ${root}/usr/share/pkgconfig)
run(pkg-config --cflags --libs tinycnn)
separate_arguments(flags UNIX_COMMAND "${run_out}")
run(${CXX} -O2 -march=haswell ${SOURCE_DIR}/tests/package/consumer/main.cpp ${flags} -o ${scratch}/pkgconfig_consumer)
run(${scratch}/pkgconfig_consumer)
file(REMOVE_RECURSE ${scratch})
