# benchmarks/step_anatomy counts what the OpenMP runtime reports for a ResNet-50 training step
# (batch 1): each thread count's row must show parallel regions and barriers (a step without
# any would mean the tool heard nothing), barrier waits must be reported by libomp, and a bad
# thread list is refused with a message.
#   cmake -DEXE=<step_anatomy> -P step_anatomy.cmake
execute_process(COMMAND ${EXE} --batch_size 1 --threads 1,2,3 --steps 1
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "step_anatomy exited ${rc}:\n${out}${err}")
endif()
if(NOT out MATCHES "OpenMP tool interface: barrier waits measured")
  message(FATAL_ERROR "libomp did not report barrier waits:\n${out}")
endif()
foreach(t 1 2 3)
  # threads, then the step time (or "-"), then regions and barriers per step, both non-zero.
  if(NOT out MATCHES "\n +${t} +([0-9.]+|-) +[1-9][0-9]* +[1-9][0-9]* ")
    message(FATAL_ERROR "no row with parallel regions and barriers for ${t} threads:\n${out}")
  endif()
endforeach()
execute_process(COMMAND ${EXE} --threads 1,0 RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "--threads takes a comma-separated list of counts from 1 to [0-9]+ \\([0-9]+ per CPU")
  message(FATAL_ERROR "--threads 1,0 was not refused with a message (exit ${rc}):\n${out}${err}")
endif()
