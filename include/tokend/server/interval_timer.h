// IntervalTimer: a timerfd that becomes readable every `seconds`, for a
// worker's epoll loop (FcgiConnections::WatchWakeups) to run periodic work
// even when no request comes.
//
// Not thread-safe; one owner.
#pragma once

namespace tokend {

class IntervalTimer {
 public:
  explicit IntervalTimer(int seconds);
  ~IntervalTimer();
  IntervalTimer(const IntervalTimer&) = delete;
  IntervalTimer& operator=(const IntervalTimer&) = delete;

  // -1 when the timer could not be made (the work then waits for the
  // worker's stop).
  int fd() const { return fd_; }
  // Reads the expirations, so the fd is not readable until the next one.
  void Acknowledge();

 private:
  int fd_ = -1;
};

}  // namespace tokend
