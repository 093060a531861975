# The library's floors: each folder under include/tinycnn/ may include headers from its own
# folder and from the folders below it, never from one above. This list is the one place the
# order is written (bottom first); docs/architecture.md draws it, and this script checks that the
# drawing agrees.
#
#   cmake -DINCLUDE_DIR=<repo>/include/tinycnn [-DDOC=<repo>/docs/architecture.md] -P check_floors.cmake
#
# Fails, naming every offending header and include, when a header includes one from a higher
# floor or from a folder that is on no floor, when a folder is on no floor, or when the drawing
# in DOC lists other floors or another order.
set(FLOORS core simd parallel kernels layers graph models optim io distributed train bench)

if(NOT INCLUDE_DIR OR NOT IS_DIRECTORY "${INCLUDE_DIR}")
  message(FATAL_ERROR "check_floors: INCLUDE_DIR must name the include/tinycnn folder (got '${INCLUDE_DIR}')")
endif()
string(REPLACE ";" " " _order_text "${FLOORS}")

set(_problems "")
set(_headers_checked 0)

file(GLOB _entries RELATIVE "${INCLUDE_DIR}" "${INCLUDE_DIR}/*")
foreach(folder ${_entries})
  if(NOT IS_DIRECTORY "${INCLUDE_DIR}/${folder}")
    continue()  # all.hpp and version.hpp stand above the floors
  endif()
  list(FIND FLOORS "${folder}" _level)
  if(_level EQUAL -1)
    string(APPEND _problems "  folder ${folder}/ is on no floor: add it to FLOORS in ${CMAKE_CURRENT_LIST_FILE}\n")
    continue()
  endif()
  file(GLOB_RECURSE _headers RELATIVE "${INCLUDE_DIR}" "${INCLUDE_DIR}/${folder}/*")
  foreach(header ${_headers})
    math(EXPR _headers_checked "${_headers_checked} + 1")
    file(STRINGS "${INCLUDE_DIR}/${header}" _includes REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]tinycnn/")
    foreach(line ${_includes})
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*[<\"]([^>\"]*)[>\"].*" "\\1" _target "${line}")
      if(_target MATCHES "^tinycnn/([^/]+)/")
        set(_to "${CMAKE_MATCH_1}")
        list(FIND FLOORS "${_to}" _to_level)
        if(_to_level EQUAL -1)
          string(APPEND _problems "  ${header} includes ${_target}: ${_to}/ is on no floor\n")
        elseif(_to_level GREATER _level)
          string(APPEND _problems "  ${header} includes ${_target}: ${_to}/ is above ${folder}/\n")
        endif()
      elseif(NOT _target STREQUAL "tinycnn/version.hpp")
        # all.hpp includes every floor.
        string(APPEND _problems "  ${header} includes ${_target}, which stands above every floor\n")
      endif()
    endforeach()
  endforeach()
endforeach()

if(_headers_checked EQUAL 0)
  message(FATAL_ERROR "check_floors: no headers found under ${INCLUDE_DIR}")
endif()

# The drawing: one line per floor, top first, written "| name/ |" at the start of the line.
if(DOC)
  file(STRINGS "${DOC}" _drawn REGEX "^ *\\| [a-z]+/ +\\|")
  set(_drawn_floors "")
  foreach(line ${_drawn})
    string(REGEX REPLACE "^ *\\| ([a-z]+)/ +\\|.*" "\\1" _name "${line}")
    list(PREPEND _drawn_floors "${_name}")
  endforeach()
  if(NOT _drawn_floors STREQUAL FLOORS)
    string(REPLACE ";" " " _drawn_text "${_drawn_floors}")
    string(APPEND _problems
      "  ${DOC} draws the floors (bottom first) as '${_drawn_text}', but they are '${_order_text}'\n")
  endif()
endif()

if(_problems)
  message(FATAL_ERROR "Headers must include only their own floor and the floors below it "
                      "(bottom first: ${_order_text}):\n${_problems}")
endif()
message(STATUS "${_headers_checked} headers keep to the floors (bottom first: ${_order_text})")
