# Builds TARGET in BUILD_DIR, which must fail, and checks that the compiler output contains EXPECT.
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${TARGET}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "${TARGET} compiled, but it must be refused")
endif()
string(FIND "${out}${err}" "${EXPECT}" pos)
if(pos EQUAL -1)
  message(FATAL_ERROR "${TARGET} was refused, but not with the message \"${EXPECT}\":\n${out}${err}")
endif()
message(STATUS "refused with: ${EXPECT}")
