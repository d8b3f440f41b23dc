# qcell_embed_policy(TARGET NAME): compiles policy/NAME.policy into TARGET as
# qcell::embedded_policy (src/sandbox/embedded_policy.h), for a program its
# caller runs, which confines itself with it (`lifetime caller`,
# docs/policy.md). The text is embedded as it is; the program parses it at
# its confinement point, with the same parser the broker uses. The target
# links qcell_confine (or qcell_confine_cell) itself.
function(qcell_embed_policy target name)
  set(source ${PROJECT_SOURCE_DIR}/policy/${name}.policy)
  set(output ${CMAKE_CURRENT_BINARY_DIR}/${target}_embedded_policy.cc)
  add_custom_command(
    OUTPUT ${output}
    COMMAND ${CMAKE_COMMAND} -DSOURCE=${source} -DOUTPUT=${output} -P ${PROJECT_SOURCE_DIR}/cmake/embed_policy_file.cmake
    DEPENDS ${source} ${PROJECT_SOURCE_DIR}/cmake/embed_policy_file.cmake
    COMMENT "Embedding policy/${name}.policy into ${target}"
    VERBATIM)
  target_sources(${target} PRIVATE ${output})
endfunction()
