// Wall-clock time for token expiry and ordering.
#pragma once

#include <cstdint>

namespace tokend {

int64_t NowSeconds();       // Unix time, seconds
int64_t NowMilliseconds();  // Unix time, milliseconds
// CLOCK_MONOTONIC in milliseconds: for deadlines, one clock for every
// process of the pool, never stepped.
int64_t MonotonicMilliseconds();

}  // namespace tokend
