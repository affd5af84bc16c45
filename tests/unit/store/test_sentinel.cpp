// Unit tests for sentinel.h through RedisClient, against a real primary,
// its replica and a sentinel: the client finds the primary the sentinel
// names, and follows a failover without being restarted.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

#include "../redis_server.h"
#include "../temporary_directory.h"
#include "tokend/store/redis_client.h"

namespace tokend {
namespace {

// Waits (at most 30 s) until `done` holds.
bool WaitUntil(const std::function<bool()>& done) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(30)) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

class SentinelTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SentinelTest);
  CPPUNIT_TEST(testTheClientFollowsAFailoverWithoutARestart);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    dir_.Create("tokend-sentinel");
    for (const char* part : {"/a", "/b"}) {
      std::filesystem::create_directory(dir_.path() + part);
    }
    port_a_ = test::FreeClusterPort();
    port_b_ = test::FreeClusterPort({port_a_});
    sentinel_port_ = test::FreeClusterPort({port_a_, port_b_});
    a_.Start(dir_.path() + "/a", {"--port", std::to_string(port_a_), "--bind", "127.0.0.1"});
    b_.Start(dir_.path() + "/b", {"--port", std::to_string(port_b_), "--bind", "127.0.0.1",
                           "--replicaof", "127.0.0.1", std::to_string(port_a_)});
    StartSentinel();
  }

  void tearDown() override {
    if (sentinel_pid_ > 0) {
      kill(sentinel_pid_, SIGKILL);
      waitpid(sentinel_pid_, nullptr, 0);
    }
    b_.Stop();
    a_.Stop();
    if (getenv("KEEP_SENTINEL_DIR") == nullptr) {
      dir_.Remove();
    } else {
      dir_.Keep();
    }
  }

  void testTheClientFollowsAFailoverWithoutARestart() {
    CPPUNIT_ASSERT_MESSAGE("the sentinel did not see the primary and its replica",
                           WaitUntil([&] { return SentinelReady(); }));
    Config config;
    config.redis = "sentinel://127.0.0.1:" + std::to_string(sentinel_port_) + "/tokens";
    config.redis_retry_ms = 5000;
    config.redis_replicas_ack = 0;
    RedisClient redis(config);
    RedisReply reply;
    CPPUNIT_ASSERT(redis.Run({"SET", "oz:k", "before"}, &reply).ok());
    CPPUNIT_ASSERT_EQUAL(std::string("before"), Get(a_, "oz:k"));

    // Until the sentinel has heard from the replica itself, it knows none
    // it could promote (NOGOODSLAVE).
    CPPUNIT_ASSERT_MESSAGE("the sentinel refused the failover", WaitUntil([&] {
      return Sentinel({"SENTINEL", "FAILOVER", "tokens"}).type == RedisReply::Type::kStatus;
    }));
    CPPUNIT_ASSERT_MESSAGE("the sentinel did not promote the replica", WaitUntil([&] {
      RedisReply primary = Sentinel({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "tokens"});
      return primary.elements.size() == 2 &&
             primary.elements[1].text == std::to_string(port_b_);
    }));
    // Once the old primary is demoted (it then closes its clients'
    // connections, and answers a new one's writes with READONLY) the
    // client asks the sentinel again and writes to B. (Before, A still
    // takes writes, and loses them when it turns replica: the window
    // WAIT closes, see the README.)
    CPPUNIT_ASSERT_MESSAGE("the old primary was not demoted", WaitUntil([&] {
      return Role(a_) == "slave";
    }));
    Status status = redis.Run({"SET", "oz:k", "after"}, &reply);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL(std::string("after"), Get(b_, "oz:k"));
  }

 private:
  void StartSentinel() {
    const std::string conf = dir_.path() + "/sentinel.conf";
    std::ofstream(conf) << "port " << sentinel_port_ << "\nbind 127.0.0.1\n"
                        << "dir " << dir_.path() << "\nlogfile " << dir_.path()
                        << "/sentinel.log\n"
                        << "sentinel monitor tokens 127.0.0.1 " << port_a_ << " 1\n"
                        << "sentinel down-after-milliseconds tokens 1000\n"
                        << "sentinel failover-timeout tokens 5000\n";
    const pid_t parent = getpid();
    sentinel_pid_ = fork();
    CPPUNIT_ASSERT(sentinel_pid_ >= 0);
    if (sentinel_pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      execlp("redis-server", "redis-server", conf.c_str(), "--sentinel",
             static_cast<char*>(nullptr));
      _exit(127);
    }
  }

  RedisReply Sentinel(const RedisCommand& command) {
    Config config;
    config.redis = "127.0.0.1:" + std::to_string(sentinel_port_);
    RedisClient sentinel(config);
    RedisReply reply;
    sentinel.Run(command, &reply);
    return reply;
  }

  bool SentinelReady() {
    RedisReply primary = Sentinel({"SENTINEL", "GET-MASTER-ADDR-BY-NAME", "tokens"});
    RedisReply replicas = Sentinel({"SENTINEL", "REPLICAS", "tokens"});
    return primary.elements.size() == 2 &&
           primary.elements[1].text == std::to_string(port_a_) &&
           replicas.type == RedisReply::Type::kArray && !replicas.elements.empty();
  }

  std::string Role(test::RedisServer& server) {
    Config config;
    config.redis = "unix:" + server.socket();
    config.redis_replicas_ack = 0;
    RedisClient direct(config);
    RedisReply reply;
    if (!direct.Run({"ROLE"}, &reply).ok() || reply.elements.empty()) return "";
    return reply.elements[0].text;
  }

  std::string Get(test::RedisServer& server, const std::string& key) {
    Config config;
    config.redis = "unix:" + server.socket();
    RedisClient direct(config);
    RedisReply reply;
    CPPUNIT_ASSERT(direct.Run({"GET", key}, &reply).ok());
    return reply.text;
  }

  test::TemporaryDirectory dir_;
  int port_a_ = 0, port_b_ = 0, sentinel_port_ = 0;
  test::RedisServer a_, b_;
  pid_t sentinel_pid_ = -1;
};

CPPUNIT_TEST_SUITE_REGISTRATION(SentinelTest);

}  // namespace
}  // namespace tokend
