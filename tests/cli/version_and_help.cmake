# Every program answers --version with one line, "NAME VERSION (tinycnn, ISA kernels)" (or
# "(tinycnn, AVX2+FMA and AVX-512 kernels, chosen at run time)"), and
# --help with its usage, both on stdout with exit status 0.
#   cmake -DEXE=<program> -DNAME=<its name> -DVERSION=<the project's version> -P version_and_help.cmake
execute_process(COMMAND ${EXE} --version RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
if(NOT rc EQUAL 0 OR NOT err STREQUAL "")
  message(FATAL_ERROR "${NAME} --version exited ${rc} (must be 0, quietly on stderr):\n${out}${err}")
endif()
string(REPLACE "." "\\." version_regex "${VERSION}")
if(NOT out MATCHES "^${NAME} ${version_regex} \\(tinycnn, (AVX2\\+FMA|AVX-512|AVX2\\+FMA and AVX-512) kernels(, chosen at run time)?\\)\n$")
  message(FATAL_ERROR "${NAME} --version must print '${NAME} ${VERSION} (tinycnn, <ISA> kernels)' alone, got:\n${out}")
endif()
execute_process(COMMAND ${EXE} --help RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
if(NOT rc EQUAL 0 OR NOT out MATCHES "Usage: [^\n]*${NAME}" OR NOT out MATCHES "--version")
  message(FATAL_ERROR "${NAME} --help must exit 0 with its usage, --version listed, on stdout; exited ${rc}:\n${out}${err}")
endif()
