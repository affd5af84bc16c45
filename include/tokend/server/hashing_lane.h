// HashingLane: a worker's thread for the requests that need a slow password
// hash (a password the pool has not verified lately, a wrong one, the decoy
// for an unknown user, a rehash), so that the worker's connection loop
// never waits for one. The loop hands such a request over with a claim on
// the pool's hash budget (auth/hash_budget.h) and goes on serving its other
// connections; the lane serves the request again from the start with an Api
// and a Redis connection of its own, where the hash may run, writes the
// answer, and wakes the loop (an eventfd), which finishes the request and
// reads that connection again.
//
// A thread per worker rather than a pool shared by the workers: the request
// stays in the process that holds its FastCGI connection (no descriptor
// passing), a crash takes only that worker's requests with it, and the
// budget, not the number of lanes, bounds how many hashes run at once. The
// hashes themselves run in the lane's HasherProcess, at the lowest CPU
// priority (see hasher_process.h for why not in the thread).
//
// Submit and TakeAnswered are for the loop's thread; Thread-safe between
// that thread and the lane.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "tokend/auth/hash_budget.h"
#include "tokend/common/config.h"
#include "tokend/http/request.h"
#include "tokend/server/answer.h"
#include "tokend/server/hasher_process.h"
#include "tokend/server/log_batch.h"
#include "tokend/token/token_keys.h"

struct FCGX_Request;

namespace tokend {

class HashingLane {
 public:
  struct Job {
    int fd;              // the connection, to give back to the loop
    FCGX_Request* fcgi;  // its request, answered by the lane
    Request request;
    RequestClock::time_point read_at;
    std::unique_ptr<HashBudgetClaim> claim;
  };

  // `config`, `keys` and `log` (where its answers are logged) must outlive
  // the lane.
  HashingLane(const Config& config, const TokenKeys& keys, LogBatch* log);
  ~HashingLane();
  HashingLane(const HashingLane&) = delete;
  HashingLane& operator=(const HashingLane&) = delete;

  // Starts the thread, with every signal blocked in it; false (and a
  // message on stderr) when it or its eventfd cannot be made.
  bool Start();
  void Submit(Job job);
  // Readable when jobs were answered.
  int wakeup_fd() const { return wakeup_fd_; }
  // The connections of the jobs answered since the last call.
  std::vector<int> TakeAnswered();
  // Answers every job submitted, then ends the thread.
  void Stop();

 private:
  void Run();

  const Config& config_;
  const TokenKeys& keys_;
  LogBatch* log_;
  HasherProcess hasher_;
  int wakeup_fd_ = -1;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job> jobs_;
  std::vector<int> answered_;
  bool stopping_ = false;
};

}  // namespace tokend
