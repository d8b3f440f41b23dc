# Run by qcell_embed_policy (EmbedPolicy.cmake) as `cmake -P`: writes
# OUTPUT, a C++ file defining qcell::embedded_policy as the text of SOURCE.
file(READ ${SOURCE} text)
string(FIND "${text}" ")qcellpolicy" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${SOURCE} contains the raw-string delimiter )qcellpolicy")
endif()
file(WRITE ${OUTPUT}.new
  "// Generated from ${SOURCE} by cmake/embed_policy_file.cmake: do not edit.\n"
  "#include \"sandbox/embedded_policy.h\"\n\n"
  "namespace qcell {\n"
  "extern const std::string_view embedded_policy = R\"qcellpolicy(${text})qcellpolicy\";\n"
  "}  // namespace qcell\n")
file(RENAME ${OUTPUT}.new ${OUTPUT})
