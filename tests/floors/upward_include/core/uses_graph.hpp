// A core header that includes a graph header: check_floors.cmake must refuse this tree.
#pragma once
#include "tinycnn/graph/plain.hpp"
