# tinycnn::dispatch: one binary, built for the AVX2 baseline, whose float kernels run with
# AVX-512 on CPUs that have it (include/tinycnn/kernels/dispatch.hpp says how and why).
#
# tinycnn_add_dispatch_target(SOURCE) compiles SOURCE (src/kernel_table.cpp) twice, once per
# instruction set, into the static library tinycnn_dispatch. A program that links it builds its
# own files for the baseline (-march=haswell) with TINYCNN_DISPATCH defined. The library comes
# after the program's objects on the link line, and the AVX2 table before the AVX-512 one.
# Nothing is compiled unless a target links it (EXCLUDE_FROM_ALL).
function(tinycnn_add_dispatch_target source)
  if(TARGET tinycnn::dispatch)
    return()
  endif()
  foreach(isa avx2 avx512)
    add_library(tinycnn_kernel_table_${isa} OBJECT EXCLUDE_FROM_ALL ${source})
    target_link_libraries(tinycnn_kernel_table_${isa} PRIVATE tinycnn::tinycnn)
    # The kernels are the program's speed: optimised fully unless the build is for debugging.
    target_compile_options(tinycnn_kernel_table_${isa} PRIVATE $<$<NOT:$<CONFIG:Debug>>:-O3>)
    set_target_properties(tinycnn_kernel_table_${isa} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  endforeach()
  target_compile_options(tinycnn_kernel_table_avx2 PRIVATE -march=haswell)
  target_compile_options(tinycnn_kernel_table_avx512 PRIVATE -march=x86-64-v4)
  add_library(tinycnn_dispatch STATIC EXCLUDE_FROM_ALL $<TARGET_OBJECTS:tinycnn_kernel_table_avx2>
                                      $<TARGET_OBJECTS:tinycnn_kernel_table_avx512>)
  set_target_properties(tinycnn_dispatch PROPERTIES LINKER_LANGUAGE CXX)
  target_link_libraries(tinycnn_dispatch PUBLIC tinycnn::tinycnn)
  target_compile_options(tinycnn_dispatch INTERFACE -march=haswell)
  target_compile_definitions(tinycnn_dispatch INTERFACE TINYCNN_DISPATCH)
  add_library(tinycnn::dispatch ALIAS tinycnn_dispatch)
endfunction()
