# spdlog (and fmt) header-only from the build machine's Debian packages, for the mingw-w64 cross build: Debian
# has no mingw spdlog, but both libraries are plain C++ headers. Only their two folders are staged into the
# include path (never /usr/include itself, whose C headers would shadow mingw's).
# Defines the target spdlog::spdlog as the native find_package would.
find_path(DOCKHAND_HOST_SPDLOG_DIR spdlog/spdlog.h PATHS /usr/include NO_CMAKE_FIND_ROOT_PATH NO_DEFAULT_PATH)
find_path(DOCKHAND_HOST_FMT_DIR fmt/format-inl.h PATHS /usr/include NO_CMAKE_FIND_ROOT_PATH NO_DEFAULT_PATH)
if(NOT DOCKHAND_HOST_SPDLOG_DIR OR NOT DOCKHAND_HOST_FMT_DIR)
  message(FATAL_ERROR "the cross build needs spdlog's and fmt's headers: apt-get install libspdlog-dev libfmt-dev "
                      "(scripts/setup.sh installs them)")
endif()
set(staged "${CMAKE_BINARY_DIR}/header-only")
file(MAKE_DIRECTORY "${staged}")
file(CREATE_LINK "${DOCKHAND_HOST_SPDLOG_DIR}/spdlog" "${staged}/spdlog" SYMBOLIC)
file(CREATE_LINK "${DOCKHAND_HOST_FMT_DIR}/fmt" "${staged}/fmt" SYMBOLIC)
add_library(dockhand_header_only_spdlog INTERFACE)
target_include_directories(dockhand_header_only_spdlog SYSTEM INTERFACE "${staged}")
target_compile_definitions(dockhand_header_only_spdlog INTERFACE SPDLOG_HEADER_ONLY SPDLOG_FMT_EXTERNAL FMT_HEADER_ONLY)
add_library(spdlog::spdlog ALIAS dockhand_header_only_spdlog)
