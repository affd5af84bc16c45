// Unit tests for hash_budget.h: the queue and the turns of the pool-wide
// password-hash budget, within one process and across forked ones (as the
// daemon's workers share it), and giving back a dead process's places.
// No assertion depends on timing: a turn that is taken is held until the
// test releases it, so a waiter's deadline passing is certain.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "tokend/auth/hash_budget.h"
#include "tokend/common/clock.h"

namespace tokend {
namespace {

int64_t In(int64_t milliseconds) { return MonotonicMilliseconds() + milliseconds; }

class HashBudgetTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(HashBudgetTest);
  CPPUNIT_TEST(testTheQueueHoldsAtMostItsLimitAndFreesPlacesOfGoneClaims);
  CPPUNIT_TEST(testATurnRunsTheHashAndGivesUpTheQueuePlace);
  CPPUNIT_TEST(testAWaiterGivesUpAtItsDeadlineWhileTheTurnsAreTaken);
  CPPUNIT_TEST(testZeroConcurrencyMeansOneTurnPerCore);
  CPPUNIT_TEST(testForkedProcessesShareTheTurnsAndADeadOnesPlacesComeBack);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    // Shared, as in the daemon; later fixtures find it so too.
    CPPUNIT_ASSERT(InitSharedHashBudget());
    SetHashBudgetLimits(1, 3);
    CPPUNIT_ASSERT_EQUAL(0, HashesWaiting());
    CPPUNIT_ASSERT_EQUAL(0, HashesRunning());
  }

  void testTheQueueHoldsAtMostItsLimitAndFreesPlacesOfGoneClaims() {
    std::vector<std::unique_ptr<HashBudgetClaim>> claims;
    for (int i = 0; i < 3; ++i) {
      claims.push_back(std::make_unique<HashBudgetClaim>(In(1000)));
      CPPUNIT_ASSERT(claims.back()->queued());
    }
    CPPUNIT_ASSERT_EQUAL(3, HashesWaiting());
    HashBudgetClaim fourth(In(1000));
    CPPUNIT_ASSERT(!fourth.queued());
    CPPUNIT_ASSERT_EQUAL(3, HashesWaiting());
    claims.pop_back();  // its place is given back
    CPPUNIT_ASSERT_EQUAL(2, HashesWaiting());
    HashBudgetClaim fifth(In(1000));
    CPPUNIT_ASSERT(fifth.queued());
    claims.clear();
  }

  void testATurnRunsTheHashAndGivesUpTheQueuePlace() {
    HashBudgetClaim claim(In(10000));
    CPPUNIT_ASSERT(claim.queued());
    int running_inside = -1;
    CPPUNIT_ASSERT(claim.RunInTurn([&] { running_inside = HashesRunning(); }));
    CPPUNIT_ASSERT_EQUAL(1, running_inside);
    CPPUNIT_ASSERT(!claim.queued());
    CPPUNIT_ASSERT_EQUAL(0, HashesWaiting());
    CPPUNIT_ASSERT_EQUAL(0, HashesRunning());
    // A second hash of the same request (a rehash) takes a turn again.
    bool ran = false;
    CPPUNIT_ASSERT(claim.RunInTurn([&] { ran = true; }));
    CPPUNIT_ASSERT(ran);
  }

  void testAWaiterGivesUpAtItsDeadlineWhileTheTurnsAreTaken() {
    // One turn (concurrency 1), held by a thread until released.
    std::mutex mutex;
    std::condition_variable changed;
    bool holding = false, release = false;
    std::thread holder([&] {
      HashBudgetClaim claim(In(10000));
      claim.RunInTurn([&] {
        std::unique_lock<std::mutex> lock(mutex);
        holding = true;
        changed.notify_all();
        changed.wait(lock, [&] { return release; });
      });
    });
    {
      std::unique_lock<std::mutex> lock(mutex);
      changed.wait(lock, [&] { return holding; });
    }
    HashBudgetClaim waiter(In(50));
    bool ran = false;
    bool got_turn = waiter.RunInTurn([&] { ran = true; });
    {
      std::lock_guard<std::mutex> lock(mutex);
      release = true;
      changed.notify_all();
    }
    holder.join();  // before any assertion can throw
    CPPUNIT_ASSERT(!got_turn);
    CPPUNIT_ASSERT(!ran);
    HashBudgetClaim next(In(10000));
    CPPUNIT_ASSERT(next.RunInTurn([&] { ran = true; }));
    CPPUNIT_ASSERT(ran);
  }

  void testZeroConcurrencyMeansOneTurnPerCore() {
    SetHashBudgetLimits(0, 3);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    // As many turns as cores can be held at once, one more cannot.
    std::vector<std::thread> holders;
    std::mutex mutex;
    std::condition_variable changed;
    int holding = 0;
    bool release = false;
    for (long i = 0; i < cores; ++i) {
      holders.emplace_back([&] {
        HashBudgetClaim claim(In(10000));
        claim.RunInTurn([&] {
          std::unique_lock<std::mutex> lock(mutex);
          ++holding;
          changed.notify_all();
          changed.wait(lock, [&] { return release; });
        });
      });
    }
    {
      std::unique_lock<std::mutex> lock(mutex);
      changed.wait(lock, [&] { return holding == cores; });
    }
    HashBudgetClaim extra(In(50));
    bool got_turn = extra.RunInTurn([] {});
    {
      std::lock_guard<std::mutex> lock(mutex);
      release = true;
      changed.notify_all();
    }
    for (std::thread& holder : holders) holder.join();
    CPPUNIT_ASSERT(!got_turn);
  }

  void testForkedProcessesShareTheTurnsAndADeadOnesPlacesComeBack() {
    int to_child[2], from_child[2];
    CPPUNIT_ASSERT_EQUAL(0, pipe(to_child));
    CPPUNIT_ASSERT_EQUAL(0, pipe(from_child));
    pid_t child = fork();
    CPPUNIT_ASSERT(child >= 0);
    if (child == 0) {
      // Takes a queue place and the only turn, says so, and dies holding
      // both (as a killed worker would).
      HashBudgetClaim queued(In(10000));
      HashBudgetClaim turn(In(10000));
      turn.RunInTurn([&] {
        char byte = 'x';
        if (write(from_child[1], &byte, 1) != 1) _exit(2);
        if (read(to_child[0], &byte, 1) != 1) _exit(3);
        _exit(0);  // no destructor runs: the places stay taken
      });
      _exit(1);
    }
    // A failed assertion must not leave the child waiting forever.
    struct Reaper {
      pid_t pid;
      ~Reaper() {
        if (pid > 0) {
          kill(pid, SIGKILL);
          waitpid(pid, nullptr, 0);
        }
      }
    } reaper{child};
    char byte;
    CPPUNIT_ASSERT_EQUAL(ssize_t{1}, read(from_child[0], &byte, 1));
    // The child's turn is this process's too.
    CPPUNIT_ASSERT_EQUAL(1, HashesRunning());
    CPPUNIT_ASSERT_EQUAL(1, HashesWaiting());
    HashBudgetClaim waiter(In(50));
    CPPUNIT_ASSERT(!waiter.RunInTurn([] {}));
    // The child dies; its places stay taken until the parent gives them
    // back.
    CPPUNIT_ASSERT_EQUAL(ssize_t{1}, write(to_child[1], &byte, 1));
    int status = 0;
    CPPUNIT_ASSERT_EQUAL(child, waitpid(child, &status, 0));
    reaper.pid = 0;
    CPPUNIT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CPPUNIT_ASSERT_EQUAL(1, HashesRunning());
    ReleaseHashBudgetOf(static_cast<int>(child));
    CPPUNIT_ASSERT_EQUAL(0, HashesRunning());
    CPPUNIT_ASSERT_EQUAL(1, HashesWaiting());  // the waiter's own place
    bool ran = false;
    HashBudgetClaim after(In(10000));
    CPPUNIT_ASSERT(after.RunInTurn([&] { ran = true; }));
    CPPUNIT_ASSERT(ran);
    for (int fd : {to_child[0], to_child[1], from_child[0], from_child[1]}) close(fd);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HashBudgetTest);

}  // namespace
}  // namespace tokend
