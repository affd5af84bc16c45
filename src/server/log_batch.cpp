// Request log lines written per loop turn (see log_batch.h).
#include "tokend/server/log_batch.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace tokend {

LogBatch::LogBatch(int fd) : fd_(fd) { pending_.reserve(kMaxPendingBytes); }

LogBatch::~LogBatch() { Flush(); }

void LogBatch::Add(const std::string& lines) {
  std::lock_guard<std::mutex> lock(mutex_);
  pending_ += lines;
  if (pending_.size() >= kMaxPendingBytes) FlushLocked();
}

void LogBatch::Flush() {
  std::lock_guard<std::mutex> lock(mutex_);
  FlushLocked();
}

void LogBatch::FlushLocked() {
  if (pending_.empty()) return;
  // Lines stdio still holds (the daemon's other messages) go first.
  std::fflush(stderr);
  size_t written = 0;
  while (written < pending_.size()) {
    ssize_t n = ::write(fd_, pending_.data() + written, pending_.size() - written);
    if (n < 0 && errno == EINTR) continue;
    // A log that takes nothing (closed, full disk) loses the lines rather
    // than the service: requests are answered either way.
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  pending_.clear();
}

}  // namespace tokend
