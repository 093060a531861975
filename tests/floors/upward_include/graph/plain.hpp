// A graph header: including only lower floors is allowed.
#pragma once
