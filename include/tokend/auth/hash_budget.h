// The pool-wide budget of slow password hashes. At most `concurrency`
// hashes run at once across every worker of the pool, and at most `queue`
// requests wait for a turn, each until its deadline. The counts live in an
// anonymous shared mapping the daemon's parent makes before it forks the
// workers; every place is marked with the process holding it, so the parent
// gives back the places of a worker that died (ReleaseHashBudgetOf).
// Waiters poll every millisecond: a turn is tens of milliseconds of hashing,
// and polling needs no lock that a killed process could leave held. Turns
// are not handed out in arrival order.
//
// Without InitSharedHashBudget (unit tests, the admin tool) the budget is
// process-local. Thread-safe and process-safe.
#pragma once

#include <cstdint>
#include <functional>

#include "tokend/common/status.h"

namespace tokend {

// 503 serviceUnavailable with retryAfter: the request found the queue full
// or waited out its time (counted in the metrics).
Status HashesTooBusy();

// Call once in the parent before forking; false if the mapping fails (each
// process then keeps a budget of its own).
bool InitSharedHashBudget();
// Sets the limits (the parent, at start and on reload). `concurrency` 0 is
// one per CPU core; both are capped by limits.h.
void SetHashBudgetLimits(int concurrency, int queue);
// Gives back every place process `pid` held (it died).
void ReleaseHashBudgetOf(int pid);
// Places taken right now: hashes running, and requests waiting (metrics).
int HashesRunning();
int HashesWaiting();

// One request's claim on the budget, from the moment it is queued until it
// has run its hashes. Made on a worker's connection loop when it hands the
// request to its hashing lane, used there.
class HashBudgetClaim {
 public:
  // Takes a place in the queue until `deadline_ms` (clock.h's
  // MonotonicMilliseconds);
  // queued() is false when the queue was full.
  explicit HashBudgetClaim(int64_t deadline_ms);
  ~HashBudgetClaim();
  HashBudgetClaim(const HashBudgetClaim&) = delete;
  HashBudgetClaim& operator=(const HashBudgetClaim&) = delete;

  bool queued() const { return queue_place_ >= 0; }
  int64_t deadline_ms() const { return deadline_ms_; }

  // Runs `hash` in a turn, waiting for one until the deadline; false (and
  // nothing run) when the deadline came first. The first turn gives up the
  // queue place; a request that needs a second hash (a rehash) waits for
  // its turn again without a place.
  bool RunInTurn(const std::function<void()>& hash);

 private:
  int64_t deadline_ms_;
  int queue_place_ = -1;
};

}  // namespace tokend
