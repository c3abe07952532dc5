# Packaging: `make package` builds a Debian package with CPack (build/quotaguard_<ver>_<arch>.deb):
#   /usr/bin/quotaguard
#   /etc/quotaguard/config.yaml          (config/packaged.yaml: starts as installed; a conffile)
#   /usr/share/doc/quotaguard/config.example.yaml (config/example.yaml: every key documented)
#   /lib/systemd/system/quotaguard.service (config/quotaguard.service, ExecStart -> /usr/bin,
#                                          the system user `quotaguard` instead of DynamicUser)
#   maintainer scripts config/debian/{postinst,prerm,postrm}: system user, /var/lib/quotaguard,
#   systemd daemon-reload/enable/start; stop on remove; purge removes the state directory.
# Runtime library dependencies come from dpkg-shlibdeps. Check with `dpkg-deb -c`;
# tests/packaging/deb_test.sh builds it, inspects it and (in CI) installs it and checks /health.
install(TARGETS quotaguard RUNTIME DESTINATION bin)
install(FILES ${CMAKE_SOURCE_DIR}/config/packaged.yaml DESTINATION /etc/quotaguard
        RENAME config.yaml PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
install(FILES ${CMAKE_SOURCE_DIR}/config/example.yaml DESTINATION share/doc/quotaguard
        RENAME config.example.yaml)
# 0644: the unit's user must read it; secrets belong in /etc/quotaguard/env (0600, read by
# systemd) and reach the config as ${VAR}.

# The unit in config/ is for a manual install to /usr/local/bin; the package's binary is in /usr/bin.
file(READ ${CMAKE_SOURCE_DIR}/config/quotaguard.service qg_unit)
string(REPLACE "/usr/local/bin/quotaguard" "/usr/bin/quotaguard" qg_unit "${qg_unit}")
# The package creates a system user (postinst) that owns /var/lib/quotaguard across upgrades.
string(REPLACE "DynamicUser=yes" "User=quotaguard\nGroup=quotaguard" qg_unit "${qg_unit}")
file(WRITE ${CMAKE_BINARY_DIR}/packaging/quotaguard.service "${qg_unit}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/config/quotaguard.service)
install(FILES ${CMAKE_BINARY_DIR}/packaging/quotaguard.service DESTINATION /lib/systemd/system)

file(WRITE ${CMAKE_BINARY_DIR}/packaging/conffiles "/etc/quotaguard/config.yaml\n")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME quotaguard)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "QuotaGuard")
set(CPACK_PACKAGE_CONTACT "QuotaGuard maintainers <quotaguard@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "quota-aware router for LLM provider accounts")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "sqlite3, ca-certificates")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_BINARY_DIR}/packaging/conffiles
    ${CMAKE_SOURCE_DIR}/config/debian/postinst ${CMAKE_SOURCE_DIR}/config/debian/prerm
    ${CMAKE_SOURCE_DIR}/config/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
# `make package` builds only the binary: installing must not first build every test target.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
include(CPack)
