// Unit tests for hashing_lane.h that need no FastCGI peer (tests/hashing
// serves requests through it end to end): the lane's thread runs with every
// signal blocked, and stops when asked.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tokend/common/config.h"
#include "tokend/common/crypto.h"
#include "tokend/server/hashing_lane.h"
#include "tokend/token/token_keys.h"

namespace tokend {
namespace {

// The fields of /proc/self/task/<tid>/stat after the command name.
std::vector<std::string> TaskStat(const std::string& tid) {
  std::ifstream in("/proc/self/task/" + tid + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::vector<std::string> out;
  std::string field;
  while (fields >> field) out.push_back(field);
  return out;
}

// The other threads of this process: (tid, nice value).
std::vector<std::pair<std::string, int>> OtherThreads() {
  std::vector<std::pair<std::string, int>> threads;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return threads;
  const std::string self = std::to_string(gettid());
  while (dirent* entry = readdir(dir)) {
    std::string tid = entry->d_name;
    if (tid == "." || tid == ".." || tid == self) continue;
    std::vector<std::string> stat = TaskStat(tid);
    // stat's field 19 is the nice value: index 16 once the pid and the
    // command name are cut off.
    if (stat.size() > 16) threads.emplace_back(tid, std::atoi(stat[16].c_str()));
  }
  closedir(dir);
  return threads;
}

// The blocked-signal mask of thread `tid`, from its status file.
std::string BlockedSignals(const std::string& tid) {
  std::ifstream in("/proc/self/task/" + tid + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("SigBlk:", 0) == 0) return line.substr(7);
  }
  return "";
}

class HashingLaneTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(HashingLaneTest);
  CPPUNIT_TEST(testTheLaneThreadRunsWithEverySignalBlockedAndStops);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testTheLaneThreadRunsWithEverySignalBlockedAndStops() {
    // Threads other tests' libraries left running are not the lane's.
    std::vector<std::pair<std::string, int>> before = OtherThreads();
    auto lane_threads = [&before]() {
      std::vector<std::pair<std::string, int>> found;
      for (const auto& thread : OtherThreads()) {
        bool old = false;
        for (const auto& other : before) old = old || other.first == thread.first;
        if (!old) found.push_back(thread);
      }
      return found;
    };
    Config config;
    config.redis = "unix:/nonexistent/redis.sock";  // never reached here
    SecretKey master;
    TokenKeys keys(master);
    LogBatch log(STDERR_FILENO);
    HashingLane lane(config, keys, &log);
    CPPUNIT_ASSERT(lane.Start());
    CPPUNIT_ASSERT(lane.wakeup_fd() >= 0);
    // Its thread appears (the hashes run in its HasherProcess, whose
    // priority test_hasher_process.cpp checks).
    std::vector<std::pair<std::string, int>> threads;
    for (int i = 0; i < 500; ++i) {
      threads = lane_threads();
      if (threads.size() == 1) break;
      usleep(10000);
    }
    CPPUNIT_ASSERT_EQUAL(size_t{1}, threads.size());
    // Every signal blocked: SIGTERM and the rest are the loop's.
    unsigned long long blocked =
        std::strtoull(BlockedSignals(threads[0].first).c_str(), nullptr, 16);
    for (int signal_number : {SIGTERM, SIGHUP, SIGINT, SIGCHLD, SIGPIPE, SIGUSR1}) {
      CPPUNIT_ASSERT_MESSAGE(std::to_string(signal_number),
                             (blocked >> (signal_number - 1)) & 1);
    }
    // This thread's mask is as it was.
    sigset_t mine;
    pthread_sigmask(SIG_SETMASK, nullptr, &mine);
    CPPUNIT_ASSERT(!sigismember(&mine, SIGTERM));
    lane.Stop();
    CPPUNIT_ASSERT(lane_threads().empty());
    CPPUNIT_ASSERT(lane.TakeAnswered().empty());
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HashingLaneTest);

}  // namespace
}  // namespace tokend
