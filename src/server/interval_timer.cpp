// A periodic timerfd (see interval_timer.h).
#include "tokend/server/interval_timer.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cstdint>

namespace tokend {

IntervalTimer::IntervalTimer(int seconds)
    : fd_(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) {
  if (fd_ < 0) return;
  itimerspec every = {};
  every.it_interval.tv_sec = seconds;
  every.it_value.tv_sec = seconds;
  if (timerfd_settime(fd_, 0, &every, nullptr) != 0) {
    close(fd_);
    fd_ = -1;
  }
}

IntervalTimer::~IntervalTimer() {
  if (fd_ >= 0) close(fd_);
}

void IntervalTimer::Acknowledge() {
  uint64_t expirations = 0;
  // Non-blocking: nothing to read is fine.
  if (read(fd_, &expirations, sizeof(expirations)) < 0) return;
}

}  // namespace tokend
