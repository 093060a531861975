# Finds what the tinycnn target needs, for our own build and for users' find_package(tinycnn).
#
# Debian's xsimd 8.1 package exports a target whose link interface names a library "xtl" that
# is not installed, so linking xsimd's target fails at link time. xsimd is header-only: we take
# only its include directory, in an imported target of our own, and users never see the problem.
include_guard(GLOBAL)
include(CMakeFindDependencyMacro)

# A project built without a build type gets no optimisation, and tinycnn's kernels then run many
# times slower with nothing to say why. (tinycnn's own build defaults to Release before this.)
get_property(_tinycnn_multi_config GLOBAL PROPERTY GENERATOR_IS_MULTI_CONFIG)
if(NOT CMAKE_BUILD_TYPE AND NOT _tinycnn_multi_config)
  message(WARNING "tinycnn: CMAKE_BUILD_TYPE is empty, so this project is built without optimisation and "
                  "tinycnn's kernels run many times slower: configure with -DCMAKE_BUILD_TYPE=Release")
endif()

if(NOT TARGET tinycnn::xsimd_headers)
  find_path(TINYCNN_XSIMD_INCLUDE_DIR xsimd/xsimd.hpp
    HINTS ${xsimd_DIR}/../../../include ENV XSIMD_ROOT
    DOC "Directory holding xsimd/xsimd.hpp (Debian: libxsimd-dev)")
  if(NOT TINYCNN_XSIMD_INCLUDE_DIR)
    message(FATAL_ERROR "tinycnn needs xsimd 8.1 headers: apt-get install libxsimd-dev, or set TINYCNN_XSIMD_INCLUDE_DIR")
  endif()
  add_library(tinycnn::xsimd_headers INTERFACE IMPORTED)
  set_target_properties(tinycnn::xsimd_headers PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${TINYCNN_XSIMD_INCLUDE_DIR}")
endif()

find_dependency(OpenMP)
if(NOT TARGET OpenMP::OpenMP_CXX)
  message(FATAL_ERROR "tinycnn needs OpenMP (g++ provides it through libgomp)")
endif()
