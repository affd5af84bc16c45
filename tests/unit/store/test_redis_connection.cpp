// Unit tests for how RedisConnection waits for replies, against a real
// redis-server: a reply waited for wakes the reader once (it sleeps in
// poll, which only bytes to read wake; a read asleep on a unix socket is
// also woken when Redis takes the command in), a reply larger than one read
// arrives whole, and a server that does not answer is a timeout.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../redis_server.h"
#include "../status_asserts.h"
#include "../temporary_directory.h"
#include "tokend/store/redis_connection.h"

namespace tokend {
namespace {

// A field of /proc/self/task/TID/status or the state letter of .../stat,
// read with plain system calls: the watching thread must not take a lock
// (malloc's, the address space's) that the watched thread could then sleep
// on, which would count as one of its sleeps.
bool ReadProcFile(pid_t tid, const char* file, char* buffer, size_t size) {
  char path[64];
  std::snprintf(path, sizeof(path), "/proc/self/task/%d/%s",
                static_cast<int>(tid), file);
  const int fd = open(path, O_RDONLY);
  if (fd < 0) return false;
  const ssize_t got = read(fd, buffer, size - 1);
  close(fd);
  if (got <= 0) return false;
  buffer[got] = '\0';
  return true;
}

// How many times the thread went to sleep (voluntary context switches).
long VoluntarySwitches(pid_t tid) {
  char status[4096];
  if (!ReadProcFile(tid, "status", status, sizeof(status))) return -1;
  const char* field = std::strstr(status, "\nvoluntary_ctxt_switches:");
  return field == nullptr ? -1 : std::atol(field + 25);
}

// Whether the thread is asleep (state S) right now.
bool Asleep(pid_t tid) {
  char stat[1024];
  if (!ReadProcFile(tid, "stat", stat, sizeof(stat))) return false;
  const char* end_of_name = std::strrchr(stat, ')');
  return end_of_name != nullptr && end_of_name[1] == ' ' && end_of_name[2] == 'S';
}

class RedisConnectionTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RedisConnectionTest);
  CPPUNIT_TEST(testAReplyWaitedForWakesTheReaderOnce);
  CPPUNIT_TEST(testAReplyLargerThanOneReadArrivesWhole);
  CPPUNIT_TEST(testAServerThatDoesNotAnswerIsATimeout);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    dir_.Create("tokend-redis-connection");
    server_.Start(dir_.path());
    endpoint_.unix_path = server_.socket();
  }

  void tearDown() override {
    kill(server_.pid(), SIGCONT);
    server_.Stop();
    dir_.Remove();
  }

  // Redis is stopped while the command goes out, and let go only once
  // this thread sleeps waiting for the reply; it then takes the command in
  // and answers a tenth of a second later (BLPOP's timeout), as a write
  // waits for Redis's fsync. A blocking read would have been woken when
  // Redis took the command in and gone back to sleep: two sleeps.
  void testAReplyWaitedForWakesTheReaderOnce() {
    RedisSettings settings = PatientSettings();
    RedisConnection connection(endpoint_, &settings);
    std::vector<RedisReply> replies;
    std::string wire;
    AppendResp({"BLPOP", "oz:test:nothing", "0.1"}, &wire);
    // Connected, and every page of the path touched, before counting.
    CPPUNIT_ASSERT(connection.Exchange(wire, 1, &replies).ok());

    const pid_t self = static_cast<pid_t>(syscall(SYS_gettid));
    const pid_t redis = server_.pid();
    CPPUNIT_ASSERT_EQUAL(0, kill(redis, SIGSTOP));
    std::atomic<bool> released{false};
    std::thread release([&] {
      const auto deadline =
          std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (!Asleep(self) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      released = Asleep(self);
      kill(redis, SIGCONT);
    });
    const long before = VoluntarySwitches(self);
    const Status status = connection.Exchange(wire, 1, &replies);
    const long after = VoluntarySwitches(self);
    release.join();

    ASSERT_OK(status);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, replies.size());
    CPPUNIT_ASSERT(replies[0].type == RedisReply::Type::kNil);
    CPPUNIT_ASSERT_MESSAGE("the reader never slept waiting for Redis",
                           released.load());
    CPPUNIT_ASSERT(before >= 0);
    CPPUNIT_ASSERT_EQUAL_MESSAGE("sleeps while waiting for one reply", 1L,
                                 after - before);
  }

  // A mebibyte comes in many reads; each waits for bytes again.
  void testAReplyLargerThanOneReadArrivesWhole() {
    RedisSettings settings = PatientSettings();
    RedisConnection connection(endpoint_, &settings);
    const std::string value(1 << 20, 'v');
    std::string wire;
    AppendResp({"SET", "oz:test:large", value}, &wire);
    AppendResp({"GET", "oz:test:large"}, &wire);
    AppendResp({"STRLEN", "oz:test:large"}, &wire);
    std::vector<RedisReply> replies;
    CPPUNIT_ASSERT(connection.Exchange(wire, 3, &replies).ok());
    CPPUNIT_ASSERT_EQUAL(size_t{3}, replies.size());
    CPPUNIT_ASSERT(replies[1].text == value);
    CPPUNIT_ASSERT_EQUAL(1LL << 20, replies[2].integer);
  }

  // No byte within the command timeout: unavailable, the commands may have
  // run (kOther), and the connection is dropped; the next use connects
  // afresh once Redis is back.
  void testAServerThatDoesNotAnswerIsATimeout() {
    RedisSettings settings;
    settings.command_timeout_ms = 200;
    RedisConnection connection(endpoint_, &settings);
    CPPUNIT_ASSERT(connection.EnsureConnected().ok());
    const uint64_t generation = connection.generation();
    std::string wire;
    AppendResp({"PING"}, &wire);
    std::vector<RedisReply> replies;
    const pid_t redis = server_.pid();
    CPPUNIT_ASSERT_EQUAL(0, kill(redis, SIGSTOP));
    // Were the timeout not kept, Redis is let go after 20 s: the test then
    // fails on its assertions instead of hanging the suite.
    std::mutex mutex;
    std::condition_variable answered;
    bool done = false;
    std::thread watchdog([&] {
      std::unique_lock<std::mutex> lock(mutex);
      answered.wait_for(lock, std::chrono::seconds(20), [&] { return done; });
      kill(redis, SIGCONT);
    });
    const Status status = connection.Exchange(wire, 1, &replies);
    {
      std::lock_guard<std::mutex> lock(mutex);
      done = true;
    }
    answered.notify_one();
    watchdog.join();
    ASSERT_CODE(Code::kServiceUnavailable, status);
    CPPUNIT_ASSERT(connection.failure() == RedisConnection::Failure::kOther);
    CPPUNIT_ASSERT(!connection.connected());
    CPPUNIT_ASSERT(replies.empty());

    settings = PatientSettings();
    CPPUNIT_ASSERT(connection.Exchange(wire, 1, &replies).ok());
    CPPUNIT_ASSERT_EQUAL(std::string("PONG"), replies[0].text);
    CPPUNIT_ASSERT(connection.generation() > generation);
  }

 private:
  // Timeouts no busy machine reaches, for the tests that expect answers.
  static RedisSettings PatientSettings() {
    RedisSettings settings;
    settings.connect_timeout_ms = 30000;
    settings.command_timeout_ms = 30000;
    return settings;
  }

  test::TemporaryDirectory dir_;
  test::RedisServer server_;
  RedisEndpoint endpoint_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisConnectionTest);

}  // namespace
}  // namespace tokend
