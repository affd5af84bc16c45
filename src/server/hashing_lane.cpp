// A worker's thread for requests that need a slow hash (see hashing_lane.h).
#include "tokend/server/hashing_lane.h"

#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "tokend/api/api.h"
#include "tokend/store/redis_client.h"

namespace tokend {

namespace {

}  // namespace

HashingLane::HashingLane(const Config& config, const TokenKeys& keys,
                         LogBatch* log)
    : config_(config), keys_(keys), log_(log) {}

HashingLane::~HashingLane() {
  Stop();
  if (wakeup_fd_ >= 0) close(wakeup_fd_);
}

bool HashingLane::Start() {
  // Forked while the worker has no other thread. Without it the hashes run
  // in the lane's thread.
  if (!hasher_.Start()) {
    std::fprintf(stderr, "onezone-tokend: hashing in the lane thread\n");
  }
  wakeup_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wakeup_fd_ < 0) {
    std::fprintf(stderr, "onezone-tokend: eventfd: %s\n", std::strerror(errno));
    return false;
  }
  // The thread inherits this mask: signals are the loop's business.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  bool started = true;
  try {
    thread_ = std::thread(&HashingLane::Run, this);
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "onezone-tokend: hashing lane: %s\n", e.what());
    started = false;
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return started;
}

void HashingLane::Submit(Job job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  ready_.notify_one();
}

std::vector<int> HashingLane::TakeAnswered() {
  uint64_t count = 0;
  while (read(wakeup_fd_, &count, sizeof(count)) < 0 && errno == EINTR) {
  }
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<int> answered;
  answered.swap(answered_);
  return answered;
}

void HashingLane::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_one();
  if (thread_.joinable()) thread_.join();
  hasher_.Stop();
}

void HashingLane::Run() {
  RedisClient redis(config_);
  // The lane serves the few requests that wait for a slow hash: its reads
  // are not worth a second cache and invalidation connection per worker.
  redis.StopCachingReads();
  Api api(config_, keys_, &redis);
  while (true) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and every job answered
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    Outcome outcome = api.Handle(job.request, job.claim.get(),
                                 hasher_.pid() > 0 ? &hasher_ : nullptr);
    if (outcome.needs_hashing_lane) {
      // With a claim every hash may run here; never expected.
      outcome.needs_hashing_lane = false;
      outcome.Fail(Status(Code::kInternal, "hashing lane refused a hash"));
    }
    Answer(job.request, outcome, job.fcgi, job.read_at, log_);
    job.claim.reset();  // the queue place, when no hash was needed after all
    {
      std::lock_guard<std::mutex> lock(mutex_);
      answered_.push_back(job.fd);
    }
    uint64_t one = 1;
    while (write(wakeup_fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
  }
}

}  // namespace tokend
