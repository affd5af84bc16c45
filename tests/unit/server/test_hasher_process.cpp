// Unit tests for hasher_process.h: the child answers checks and hashes as the
// library does, runs in a session of its own under SCHED_IDLE with its
// autogroup at nice 10 and nothing of the worker's open, ends when stopped,
// and once it is gone the hashes run in the calling thread.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>

#include "tokend/auth/password_hash.h"
#include "tokend/server/hasher_process.h"

namespace tokend {
namespace {

// Small enough to keep the tests quick, within the hard limits.
PasswordHashParams QuickParams() {
  PasswordHashParams params;
  params.memory_kib = 8192;
  params.time_cost = 1;
  params.parallelism = 1;
  return params;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

int OpenDescriptors(pid_t pid) {
  DIR* dir = opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (dir == nullptr) return -1;
  int count = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count;
}

class HasherProcessTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(HasherProcessTest);
  CPPUNIT_TEST(testChecksAndHashesAsTheLibraryDoes);
  CPPUNIT_TEST(testRunsAloneAtTheLowestPriority);
  CPPUNIT_TEST(testStopEndsTheChild);
  CPPUNIT_TEST(testOnceTheChildIsGoneTheCallingThreadHashes);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testChecksAndHashesAsTheLibraryDoes() {
    HasherProcess hasher;
    CPPUNIT_ASSERT(hasher.Start());
    const std::string stored = HashPassword("secret", QuickParams());
    CPPUNIT_ASSERT(hasher.Check("secret", stored) == PasswordCheck::kMatch);
    CPPUNIT_ASSERT(hasher.Check("secreT", stored) == PasswordCheck::kMismatch);
    CPPUNIT_ASSERT(hasher.Check("", stored) == PasswordCheck::kMismatch);
    CPPUNIT_ASSERT(hasher.Check("secret", "$argon2id$junk") ==
                   PasswordCheck::kRefused);
    std::string made = hasher.Hash("pass:word", QuickParams());
    const std::string prefix = "$argon2id$v=19$m=8192,t=1,p=1$";
    CPPUNIT_ASSERT_EQUAL(prefix, made.substr(0, prefix.size()));
    CPPUNIT_ASSERT(CheckPassword("pass:word", made) == PasswordCheck::kMatch);
    // Parameters beyond the hard limits are refused, not run.
    PasswordHashParams huge = QuickParams();
    huge.memory_kib = 1 << 30;
    CPPUNIT_ASSERT_EQUAL(std::string(), hasher.Hash("x", huge));
    // The child is still there: these were its answers.
    CPPUNIT_ASSERT(hasher.pid() > 0 && kill(hasher.pid(), 0) == 0);
  }

  void testRunsAloneAtTheLowestPriority() {
    HasherProcess hasher;
    CPPUNIT_ASSERT(hasher.Start());
    const pid_t pid = hasher.pid();
    CPPUNIT_ASSERT(pid > 0 && pid != getpid());
    // One answer: the child has set itself up by then.
    CPPUNIT_ASSERT(hasher.Check("x", "$argon2id$junk") == PasswordCheck::kRefused);
    CPPUNIT_ASSERT_EQUAL(SCHED_IDLE, sched_getscheduler(pid));
    CPPUNIT_ASSERT_EQUAL(pid, getsid(pid));
    // Its stdin, stdout, stderr and the socket, nothing of the parent's.
    CPPUNIT_ASSERT_EQUAL(4, OpenDescriptors(pid));
    // The autogroup exists when the kernel groups by session.
    std::string enabled = ReadFile("/proc/sys/kernel/sched_autogroup_enabled");
    if (!enabled.empty() && enabled[0] == '1') {
      std::string autogroup = ReadFile("/proc/" + std::to_string(pid) + "/autogroup");
      CPPUNIT_ASSERT_MESSAGE(autogroup,
                             autogroup.find("nice 10") != std::string::npos);
    }
  }

  void testStopEndsTheChild() {
    HasherProcess hasher;
    CPPUNIT_ASSERT(hasher.Start());
    const pid_t pid = hasher.pid();
    hasher.Stop();
    CPPUNIT_ASSERT_EQUAL(-1, hasher.pid());
    // Reaped: the pid names no process of ours any more.
    CPPUNIT_ASSERT(kill(pid, 0) != 0 && errno == ESRCH);
  }

  void testOnceTheChildIsGoneTheCallingThreadHashes() {
    HasherProcess hasher;
    CPPUNIT_ASSERT(hasher.Start());
    const std::string stored = HashPassword("secret", QuickParams());
    CPPUNIT_ASSERT_EQUAL(0, kill(hasher.pid(), SIGKILL));
    CPPUNIT_ASSERT(hasher.Check("secret", stored) == PasswordCheck::kMatch);
    CPPUNIT_ASSERT(hasher.Check("wrong", stored) == PasswordCheck::kMismatch);
    std::string made = hasher.Hash("pw", QuickParams());
    CPPUNIT_ASSERT(CheckPassword("pw", made) == PasswordCheck::kMatch);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(HasherProcessTest);

}  // namespace
}  // namespace tokend
