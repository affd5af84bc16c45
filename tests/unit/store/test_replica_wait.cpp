// Unit tests for the replicas' confirmation of writes (config
// redis_replicas_ack, RedisConnection::AppendReplicaWait): against a real
// primary and its replica, every write waits for the replica in its own
// round trip, a read does not, and a write no replica confirms in time is
// 503 although made.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "../redis_server.h"
#include "../temporary_directory.h"
#include "tokend/store/redis_client.h"

namespace tokend {
namespace {

class ReplicaWaitTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ReplicaWaitTest);
  CPPUNIT_TEST(testWritesWaitForTheReplicaAndReadsDoNot);
  CPPUNIT_TEST(testAWriteNoReplicaConfirmsIsUnavailableThoughMade);
  CPPUNIT_TEST(testAPrimaryWithoutReplicasWaitsForNone);
  CPPUNIT_TEST(testZeroReplicasAskedWaitsForNone);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    dir_.Create("tokend-replica-wait");
    std::filesystem::create_directory(dir_.path() + "/primary");
    std::filesystem::create_directory(dir_.path() + "/replica");
    port_ = test::FreeClusterPort();
    primary_.Start(dir_.path() + "/primary", {"--port", std::to_string(port_), "--bind",
                                       "127.0.0.1"});
  }

  void tearDown() override {
    replica_.Stop();
    primary_.Stop();
    dir_.Remove();
  }

  void testWritesWaitForTheReplicaAndReadsDoNot() {
    StartReplica();
    RedisClient redis(ConfigWith(-1));
    RedisReply reply;
    CPPUNIT_ASSERT(redis.Run({"SET", "oz:a", "1"}, &reply).ok());
    CPPUNIT_ASSERT_EQUAL(1LL, WaitCalls());
    CPPUNIT_ASSERT(redis.Run({"EVAL", "return redis.call('INCR', KEYS[1])", "1",
                              "oz:a"}, &reply).ok());
    CPPUNIT_ASSERT_EQUAL(2LL, reply.integer);
    const long long after_writes = WaitCalls();  // EVALSHA's NOSCRIPT too
    CPPUNIT_ASSERT(after_writes >= 2);
    CPPUNIT_ASSERT(redis.Run({"GET", "oz:a"}, &reply).ok());
    CPPUNIT_ASSERT_EQUAL(std::string("2"), reply.text);
    CPPUNIT_ASSERT_EQUAL(after_writes, WaitCalls());
  }

  void testAWriteNoReplicaConfirmsIsUnavailableThoughMade() {
    StartReplica();
    Config config = ConfigWith(-1);
    config.redis_replicas_ack_timeout_ms = 100;
    RedisClient redis(config);
    RedisReply reply;
    // Connected while the replica is there, so writes wait for one; by a
    // read, which waits for none (a write here would have to be confirmed
    // within the 100 ms, which a busy machine may not give).
    CPPUNIT_ASSERT(redis.Run({"GET", "oz:b"}, &reply).ok());
    replica_.Stop();
    // The primary notices its replica gone at once (the link closes), but
    // WAIT counts only replicas that confirm: none now.
    Status status = redis.Run({"SET", "oz:b", "2"}, &reply);
    CPPUNIT_ASSERT_EQUAL(Code::kServiceUnavailable, status.code());
    CPPUNIT_ASSERT(status.description().find("replica") != std::string::npos);
    CPPUNIT_ASSERT(redis.Run({"GET", "oz:b"}, &reply).ok());
    CPPUNIT_ASSERT_EQUAL(std::string("2"), reply.text);
  }

  void testAPrimaryWithoutReplicasWaitsForNone() {
    RedisClient redis(ConfigWith(-1));
    RedisReply reply;
    CPPUNIT_ASSERT(redis.Run({"SET", "oz:c", "1"}, &reply).ok());
    CPPUNIT_ASSERT_EQUAL(0LL, WaitCalls());
  }

  void testZeroReplicasAskedWaitsForNone() {
    StartReplica();
    RedisClient redis(ConfigWith(0));
    RedisReply reply;
    CPPUNIT_ASSERT(redis.Run({"SET", "oz:d", "1"}, &reply).ok());
    CPPUNIT_ASSERT_EQUAL(0LL, WaitCalls());
  }

 private:
  // Writes wait for a replica's confirmation up to 10 s: WAIT answers as
  // soon as it comes, so only a busy machine ever waits long.
  Config ConfigWith(int replicas_ack) {
    Config config;
    config.redis = "unix:" + primary_.socket();
    config.redis_replicas_ack = replicas_ack;
    config.redis_replicas_ack_timeout_ms = 10000;
    config.redis_command_timeout_ms = 15000;
    return config;
  }

  // Starts the replica and waits (at most 10 s) until the primary lists it.
  void StartReplica() {
    replica_.Start(dir_.path() + "/replica",
                   {"--replicaof", "127.0.0.1", std::to_string(port_)});
    Config config;
    config.redis = "unix:" + primary_.socket();
    RedisClient admin(config);
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < std::chrono::seconds(10)) {
      RedisReply role;
      if (admin.Run({"ROLE"}, &role).ok() && role.elements.size() == 3 &&
          !role.elements[2].elements.empty()) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CPPUNIT_FAIL("the replica did not connect to the primary within 10 s");
  }

  // WAITs the primary has run.
  long long WaitCalls() {
    Config config;
    config.redis = "unix:" + primary_.socket();
    config.redis_replicas_ack = 0;
    RedisClient admin(config);
    RedisReply info;
    CPPUNIT_ASSERT(admin.Run({"INFO", "commandstats"}, &info).ok());
    const size_t at = info.text.find("cmdstat_wait:calls=");
    if (at == std::string::npos) return 0;
    return std::stoll(info.text.substr(at + 19));
  }

  test::TemporaryDirectory dir_;
  int port_ = 0;
  test::RedisServer primary_;
  test::RedisServer replica_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ReplicaWaitTest);

}  // namespace
}  // namespace tokend
