// The one place the version is written; CMake parses it from here.
#pragma once
#define TINYCNN_VERSION_MAJOR 0
#define TINYCNN_VERSION_MINOR 1
#define TINYCNN_VERSION_PATCH 0
