# conv_benchmark --impl NAME runs the named convolution implementation: for every name, a short
# run on a few ResNet-50 shapes it accepts (at batch 1) must exit 0 and name the implementation
# in its table; an unknown name exits 2 with the list of valid names.
#   cmake -DEXE=<conv_benchmark> -P conv_benchmark_impl.cmake
# Each name with a filter that selects shapes the implementation accepts.
set(cases
  "fwd_pointwise_gemm|@7x7" "fwd_direct|@7x7" "fwd_reference|@7x7"
  "bwd_data_pointwise_gemm|@7x7" "bwd_data_stride1_as_forward|@7x7" "bwd_data_pointwise_strided|1x1/2"
  "bwd_data_col2im|7x7/2" "bwd_data_reference|@7x7"
  "bwd_weights_channel_rows|->64 @55x55" "bwd_weights_patch_rows|@7x7" "bwd_weights_reference|@7x7")
foreach(c ${cases})
  string(REPLACE "|" ";" parts "${c}")
  list(GET parts 0 name)
  list(GET parts 1 filter)
  execute_process(COMMAND ${EXE} --model resnet50 --batch 1 --threads 2 --min_seconds 0 --impl ${name}
                          --filter "${filter}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "--impl ${name} --filter '${filter}' exited ${rc}:\n${out}${err}")
  endif()
  if(NOT out MATCHES "implementation forced: ${name}\n")
    message(FATAL_ERROR "--impl ${name}: the forced implementation is not announced:\n${out}")
  endif()
  # A table row names it among the three passes' implementations.
  if(NOT out MATCHES "[0-9.]+  [a-z_0-9/, ]*${name}")
    message(FATAL_ERROR "--impl ${name} --filter '${filter}': no row ran it:\n${out}")
  endif()
endforeach()

execute_process(COMMAND ${EXE} --impl fwd_winograd RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 2 OR NOT err MATCHES "^conv_benchmark: --impl: unknown implementation 'fwd_winograd' \\(valid: fwd_pointwise_gemm, fwd_direct, fwd_reference, bwd_data_pointwise_gemm,")
  message(FATAL_ERROR "an unknown --impl must exit 2 naming the valid ones, got ${rc}:\n${out}${err}")
endif()
