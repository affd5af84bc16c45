// Wall-clock time (see clock.h).
#include "tokend/common/clock.h"

#include <time.h>

namespace tokend {

int64_t NowSeconds() { return static_cast<int64_t>(time(nullptr)); }

int64_t NowMilliseconds() {
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

int64_t MonotonicMilliseconds() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

}  // namespace tokend
