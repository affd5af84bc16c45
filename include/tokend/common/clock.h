// Wall-clock time for token expiry and ordering.
#pragma once

#include <cstdint>

namespace tokend {

int64_t NowSeconds();       // Unix time, seconds
int64_t NowMilliseconds();  // Unix time, milliseconds

}  // namespace tokend
