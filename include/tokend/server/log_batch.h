// A worker's request log lines, written to stderr together once per turn of
// its connection loop (just before it waits again) instead of one write(2)
// per request. Under systemd stderr is a stream to journald, and every write
// wakes journald for one line; a busy worker now hands it a turn's lines at
// once. Lines are never held while the worker waits, so a log reader sees a
// request's line as soon as the worker has nothing more to do; a worker that
// is killed loses at most the lines of the turn it was in.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>

namespace tokend {

class LogBatch {
 public:
  // Past this many pending bytes Add writes at once: a long turn (many
  // connections ready together) keeps a bounded buffer.
  static constexpr size_t kMaxPendingBytes = 64 * 1024;

  explicit LogBatch(int fd);
  ~LogBatch();  // flushes
  LogBatch(const LogBatch&) = delete;
  LogBatch& operator=(const LogBatch&) = delete;

  // Appends `lines` (whole lines, each ending in '\n'). Thread-safe: the
  // hashing lane's thread answers requests too.
  void Add(const std::string& lines);
  // Writes every pending line, in order, in as few writes as the fd takes.
  void Flush();

 private:
  void FlushLocked();

  const int fd_;
  std::mutex mutex_;
  std::string pending_;
};

}  // namespace tokend
