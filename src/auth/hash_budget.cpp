// The pool-wide budget of slow password hashes (see hash_budget.h).
#include "tokend/auth/hash_budget.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <new>

#include "tokend/common/clock.h"
#include "tokend/common/limits.h"
#include "tokend/common/metrics.h"

namespace tokend {

namespace {

// How often a waiter looks for a free turn.
constexpr useconds_t kPollMicroseconds = 1000;

// Each place holds the pid of the process that took it, or 0.
struct BudgetTable {
  std::atomic<int> concurrency{1};
  std::atomic<int> queue{kMaxPasswordHashQueue};
  std::atomic<int> running[kMaxPasswordHashConcurrency];
  std::atomic<int> waiting[kMaxPasswordHashQueue];
};

BudgetTable g_local_table;
BudgetTable* g_table = &g_local_table;

// Takes a free place among the first `limit` of `places` for this process;
// its index, or -1 when all are taken.
int TakePlace(std::atomic<int>* places, int limit) {
  const int pid = static_cast<int>(getpid());
  for (int i = 0; i < limit; ++i) {
    int free_place = 0;
    if (places[i].load(std::memory_order_relaxed) == 0 &&
        places[i].compare_exchange_strong(free_place, pid,
                                          std::memory_order_acq_rel)) {
      return i;
    }
  }
  return -1;
}

int Taken(const std::atomic<int>* places, int count) {
  int taken = 0;
  for (int i = 0; i < count; ++i) {
    if (places[i].load(std::memory_order_relaxed) != 0) ++taken;
  }
  return taken;
}

int CpuCores() {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return cores > 0 ? static_cast<int>(cores) : 1;
}

}  // namespace

Status HashesTooBusy() {
  CountPasswordHashBusy();
  return Status(Code::kServiceUnavailable,
                "Too many password checks are waiting; try again shortly.")
      .AddNumberDetail("retryAfter", 1);
}

bool InitSharedHashBudget() {
  void* memory = mmap(nullptr, sizeof(BudgetTable), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return false;
  BudgetTable* table = new (memory) BudgetTable();
  table->concurrency.store(g_table->concurrency.load());
  table->queue.store(g_table->queue.load());
  g_table = table;
  return true;
}

void SetHashBudgetLimits(int concurrency, int queue) {
  if (concurrency <= 0) concurrency = CpuCores();
  g_table->concurrency.store(std::min(concurrency, kMaxPasswordHashConcurrency));
  g_table->queue.store(std::clamp(queue, 1, kMaxPasswordHashQueue));
}

void ReleaseHashBudgetOf(int pid) {
  for (std::atomic<int>& place : g_table->running) {
    int held = pid;
    place.compare_exchange_strong(held, 0);
  }
  for (std::atomic<int>& place : g_table->waiting) {
    int held = pid;
    place.compare_exchange_strong(held, 0);
  }
}

int HashesRunning() {
  return Taken(g_table->running, kMaxPasswordHashConcurrency);
}

int HashesWaiting() { return Taken(g_table->waiting, kMaxPasswordHashQueue); }

HashBudgetClaim::HashBudgetClaim(int64_t deadline_ms)
    : deadline_ms_(deadline_ms),
      queue_place_(TakePlace(g_table->waiting, g_table->queue.load())) {}

HashBudgetClaim::~HashBudgetClaim() {
  if (queue_place_ >= 0) g_table->waiting[queue_place_].store(0);
}

bool HashBudgetClaim::RunInTurn(const std::function<void()>& hash) {
  int turn = -1;
  while ((turn = TakePlace(g_table->running, g_table->concurrency.load())) < 0) {
    if (MonotonicMilliseconds() >= deadline_ms_) return false;
    usleep(kPollMicroseconds);
  }
  if (queue_place_ >= 0) {
    g_table->waiting[queue_place_].store(0);
    queue_place_ = -1;
  }
  hash();
  g_table->running[turn].store(0);
  return true;
}

}  // namespace tokend
