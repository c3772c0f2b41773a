# Install rules, CMake package, pkg-config file and the CPack .deb (issue 14 item 2).
# Included from CMakeLists.txt after the targets; GNUInstallDirs is included there.
include(CMakePackageConfigHelpers)

# Programs: the CLI (static layers, see README "Install") and the sample generator, which the
# demo's inputs come from.
install(TARGETS carbonsink carbonsink-sample RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The shared library, its headers and the imported target carbonsink::carbonsink.
install(TARGETS carbonsink_shared EXPORT carbonsinkTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/carbonsink DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.hpp")
set(CS_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/carbonsink)
install(EXPORT carbonsinkTargets NAMESPACE carbonsink:: FILE carbonsink-targets.cmake
  DESTINATION ${CS_CMAKE_DIR})
configure_package_config_file(${CMAKE_SOURCE_DIR}/packaging/carbonsink-config.cmake.in
  ${CMAKE_BINARY_DIR}/packaging/carbonsink-config.cmake INSTALL_DESTINATION ${CS_CMAKE_DIR})
# 0.x: a minor release may change the API, so only the same minor version is compatible.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/packaging/carbonsink-config-version.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/packaging/carbonsink-config.cmake
  ${CMAKE_BINARY_DIR}/packaging/carbonsink-config-version.cmake DESTINATION ${CS_CMAKE_DIR})

# pkg-config: prefix relative to the .pc file, so that a prefix moved as a whole (cmake --install
# --prefix P, dpkg-deb -x into a root) still gives the right paths.
file(RELATIVE_PATH CS_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" CS_PC_TO_PREFIX "${CS_PC_TO_PREFIX}")
configure_file(${CMAKE_SOURCE_DIR}/packaging/carbonsink.pc.in
  ${CMAKE_BINARY_DIR}/packaging/carbonsink.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/packaging/carbonsink.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# Man page (written by hand from `carbonsink --help` and the README).
install(FILES ${CMAKE_SOURCE_DIR}/docs/carbonsink.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# The shipped tables, read at run time from here (models/builtin_tables.hpp), and the demo.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/configs/parameters ${CMAKE_SOURCE_DIR}/configs/crosswalks
  DESTINATION ${CS_INSTALL_DATADIR} FILES_MATCHING PATTERN "*.csv" PATTERN "README.md")
install(DIRECTORY ${CMAKE_SOURCE_DIR}/data-samples/ DESTINATION ${CS_INSTALL_DATADIR}/demo)
install(PROGRAMS ${CMAKE_SOURCE_DIR}/packaging/run-demo.sh DESTINATION ${CS_INSTALL_DATADIR}/demo)

# CPack: `cpack -G DEB` in the build directory writes carbonsink_<version>_amd64.deb.
set(CPACK_PACKAGE_NAME carbonsink)
set(CPACK_PACKAGE_VENDOR "carbonsink")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CS_PACKAGE_MAINTAINER
  "carbonsink maintainers <maintainers@users.noreply.h-seed-c8ab1cda.example>"
  CACHE STRING "Maintainer field of the .deb")
set(CPACK_PACKAGE_CONTACT "${CS_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "terrestrial carbon stocks and sinks per pixel, summed by district")
# The long description (CPack indents each line and writes " ." for the empty one; the first
# line of the control field is CPACK_PACKAGE_DESCRIPTION_SUMMARY).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
"carbonsink reads land-cover rasters, district boundaries and a run configuration
(YAML), computes the carbon stock of every pixel per epoch with IPCC and China
inventory models, and writes stock maps, district totals (CSV, GeoPackage, XLSX,
HDF5), stock changes, net emissions and an HTML report.

This package holds the carbonsink program, the shared library libcarbonsink with
its C++ headers, CMake and pkg-config files, the parameter tables and crosswalks,
a man page, a demo (/usr/share/carbonsink/demo) and, when built with it, the
Python module carbonsink.")
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # carbonsink_<version>_<arch>.deb
# Dependencies: Debian package names worked out by dpkg-shlibdeps from the ELF files.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
if(CS_PYTHON)
  # The Python module (python/CMakeLists.txt installs it into dist-packages) is built for this
  # Python's minor version and returns numpy arrays; dpkg-shlibdeps cannot see either.
  math(EXPR cs_python_next_minor "${Python3_VERSION_MINOR} + 1")
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "python3 (>= ${Python3_VERSION_MAJOR}.${Python3_VERSION_MINOR}), \
python3 (<< ${Python3_VERSION_MAJOR}.${cs_python_next_minor}), python3-numpy")
endif()
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
include(CPack)
