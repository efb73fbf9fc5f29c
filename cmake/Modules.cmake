# One static library per folder of src/ (a "module"), linked only to the
# modules it may use. Each module has an include root of its own under
# <build>/include-roots/<module>/ that holds links to its headers, and nothing
# else: a file sees the headers of its own module and of the modules it links
# (transitively), so an #include against the direction of dependencies —
# http including web, a domain area including http — fails to compile.
#
#   passwerk_module(<name> DIR <folder below src/>
#                   [FILES <stems>...]     only these files of the folder (a part of it)
#                   [EXCLUDE <stems>...]   the folder without these (they form another module)
#                   [DEPS <modules>...])
#
# defines target passwerk_<name>. Tests (*_test.cpp) and test support
# (testing/) are never part of a module.
include_guard(GLOBAL)

set(PASSWERK_INCLUDE_ROOTS ${CMAKE_BINARY_DIR}/include-roots)

function(passwerk_module name)
  cmake_parse_arguments(M "" "DIR" "FILES;EXCLUDE;DEPS" ${ARGN})
  set(folder ${CMAKE_SOURCE_DIR}/src/${M_DIR})
  set(root ${PASSWERK_INCLUDE_ROOTS}/${name})
  file(REMOVE_RECURSE ${root})
  file(MAKE_DIRECTORY ${root}/${M_DIR})
  if(M_FILES)
    set(headers "")
    set(sources "")
    foreach(stem IN LISTS M_FILES)
      if(EXISTS ${folder}/${stem}.h)
        list(APPEND headers ${folder}/${stem}.h)
      endif()
      if(EXISTS ${folder}/${stem}.cpp)
        list(APPEND sources ${folder}/${stem}.cpp)
      endif()
    endforeach()
  else()
    file(GLOB headers CONFIGURE_DEPENDS ${folder}/*.h)
    file(GLOB sources CONFIGURE_DEPENDS ${folder}/*.cpp)
    list(FILTER sources EXCLUDE REGEX "_(test|bench)\\.cpp$")
    foreach(stem IN LISTS M_EXCLUDE)
      list(REMOVE_ITEM sources ${folder}/${stem}.cpp)
    endforeach()
  endif()
  foreach(header IN LISTS headers)
    get_filename_component(file_name ${header} NAME)
    file(CREATE_LINK ${header} ${root}/${M_DIR}/${file_name} SYMBOLIC)
  endforeach()
  add_library(passwerk_${name} STATIC ${sources})
  target_include_directories(passwerk_${name} PUBLIC ${root})
  target_compile_options(passwerk_${name} PRIVATE ${PASSWERK_WARNINGS})
  foreach(dep IN LISTS M_DEPS)
    target_link_libraries(passwerk_${name} PUBLIC passwerk_${dep})
  endforeach()
  if(NOT name STREQUAL "core")
    target_precompile_headers(passwerk_${name} REUSE_FROM passwerk_core)
  endif()
  set_property(GLOBAL APPEND PROPERTY PASSWERK_MODULES passwerk_${name})
endfunction()
