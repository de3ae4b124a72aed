# Writes OUTPUT, a C++ source holding every migrations/<backend>/NNNN_name.sql
# in version order, so a hub binary always carries the schema it expects.
file(GLOB backends LIST_DIRECTORIES true "${MIGRATIONS_DIR}/*")
set(body "")
foreach(backend_dir ${backends})
  if(NOT IS_DIRECTORY ${backend_dir})
    continue()
  endif()
  get_filename_component(backend ${backend_dir} NAME)
  file(GLOB files "${backend_dir}/*.sql")
  list(SORT files)
  foreach(file ${files})
    get_filename_component(name ${file} NAME_WE)
    if(NOT name MATCHES "^([0-9]+)_(.+)$")
      message(FATAL_ERROR "${file}: a migration is named NNNN_description.sql")
    endif()
    math(EXPR version "${CMAKE_MATCH_1}")
    file(READ ${file} sql)
    string(APPEND body "    {\"${backend}\", {${version}, \"${name}\", R\"hubsql(${sql})hubsql\"}},\n")
  endforeach()
endforeach()
file(WRITE ${OUTPUT}.tmp "// Generated from migrations/ by cmake/embed_migrations.cmake; do not edit.\n"
  "#include \"storage/migrations.hpp\"\n\nnamespace hub {\n\n"
  "const std::vector<std::pair<std::string, Migration>>& embedded_migrations() {\n"
  "  static const std::vector<std::pair<std::string, Migration>> all{\n${body}  };\n  return all;\n}\n\n}  // namespace hub\n")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
