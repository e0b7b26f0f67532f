# What `cmake --install` puts where, and the Debian package CPack makes of it
# (scripts/package -> crm-platform_<version>_amd64.deb):
#   /usr/bin/crm-host, /usr/bin/crmctl
#   /usr/lib/crm-platform/plugins/*.so          the shipped plugins
#   /usr/share/crm-platform/workflows/*.lua     the shipped workflows
#   /etc/crm-platform/crm-host.properties       the settings (a conffile)
#   /lib/systemd/system/crm-host.service        the unit (deploy/systemd)
#   /usr/share/crm-platform/deploy/            the nginx site and Prometheus files
#   /usr/share/doc/crm-platform/                README and docs
# The package's postinst adds the system user `crm` the unit runs as.
include(GNUInstallDirs)

install(TARGETS crm-host crmctl RUNTIME DESTINATION bin COMPONENT platform)
get_property(crm_shipped GLOBAL PROPERTY CRM_SHIPPED_PLUGIN_TARGETS)
install(TARGETS ${crm_shipped} LIBRARY DESTINATION lib/crm-platform/plugins COMPONENT platform
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/workflows/ DESTINATION share/crm-platform/workflows COMPONENT platform
        FILES_MATCHING PATTERN "*.lua")
install(FILES ${PROJECT_SOURCE_DIR}/config/crm-host.properties DESTINATION /etc/crm-platform COMPONENT platform)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/crm-host.service DESTINATION /lib/systemd/system
        COMPONENT platform)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/deploy/nginx ${PROJECT_SOURCE_DIR}/deploy/prometheus
        DESTINATION share/crm-platform/deploy COMPONENT platform)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT platform)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT platform)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME crm-platform)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_CONTACT "CRM platform maintainers <crm-platform@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "CRM workflow platform: crm-host, its plugins and workflows, and crmctl")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # crm-platform_<version>_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
# Without debug info: the package is what runs; a debug build comes from the source.
set(CPACK_STRIP_FILES ON)
# The libraries' packages (Poco, libpq, Lua, cnats, argon2, OpenSSL) found by dpkg-shlibdeps.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql-15, nats-server, redis-server, nginx, prometheus")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
    ${PROJECT_SOURCE_DIR}/deploy/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
