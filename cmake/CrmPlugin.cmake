# crm_add_plugin(name SOURCES ... [LIBS ...] [FIXTURE] [NO_ENTRY]): one plugin
# .so, built the one way every plugin is built.
#
# - hidden visibility, and a linker version script (plugin_exports.map) that
#   leaves crm_plugin_entry the only dynamic symbol: hidden visibility alone
#   still exports template instantiations over Poco and std types;
# - into build/plugins, or build/fixtures with FIXTURE (test plugins);
# - the integration tests load the .so at run time, so building them builds
#   it too (NO_ENTRY: a fixture that deliberately exports something else).
# A plugin folder with an exports.map of its own (the docs' examples, which
# show a standalone build) links with that one instead: ld takes only one.
set(CRM_PLUGIN_EXPORTS_MAP ${CMAKE_CURRENT_LIST_DIR}/plugin_exports.map)

function(crm_add_plugin target)
  cmake_parse_arguments(P "FIXTURE;NO_ENTRY" "" "SOURCES;LIBS" ${ARGN})
  add_library(${target} MODULE ${P_SOURCES})
  target_link_libraries(${target} PRIVATE crm::abi ${P_LIBS})
  set(out ${CRM_PLUGIN_OUTPUT_DIR})
  if(P_FIXTURE)
    set(out ${CRM_FIXTURE_OUTPUT_DIR})
  endif()
  set_target_properties(${target} PROPERTIES
    PREFIX "" C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON LIBRARY_OUTPUT_DIRECTORY ${out})
  if(NOT P_NO_ENTRY AND NOT EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/exports.map)
    target_link_options(${target} PRIVATE "LINKER:--version-script=${CRM_PLUGIN_EXPORTS_MAP}")
    set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS ${CRM_PLUGIN_EXPORTS_MAP})
  endif()
  # integration_tests is defined later (tests/), hence one deferred call for all.
  get_property(targets GLOBAL PROPERTY CRM_PLUGIN_TARGETS)
  if(NOT targets)
    cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL crm_plugins_for_integration_tests)
  endif()
  set_property(GLOBAL APPEND PROPERTY CRM_PLUGIN_TARGETS ${target})
endfunction()

function(crm_plugins_for_integration_tests)
  get_property(targets GLOBAL PROPERTY CRM_PLUGIN_TARGETS)
  if(TARGET integration_tests)
    add_dependencies(integration_tests ${targets})
  endif()
endfunction()
