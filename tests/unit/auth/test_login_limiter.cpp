// Unit tests for login_limiter.h: what an address is counted as, and the
// counts against a real redis-server: admissions from many threads at once
// stop exactly at a limit, successes give their counts back and trust the
// address, a trusted address is spared the user's lock (not the pair's),
// and a Redis error refuses.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <stdlib.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../redis_server.h"
#include "../temporary_directory.h"
#include "tokend/auth/login_limiter.h"
#include "tokend/store/store_keys.h"

namespace tokend {
namespace {

class LoginLimiterTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(LoginLimiterTest);
  CPPUNIT_TEST(testIpv4IsCountedAsItIsAndIpv6ByItsSlash64);
  CPPUNIT_TEST(testAdmissionsAtOnceStopExactlyAtTheAddressLimit);
  CPPUNIT_TEST(testAdmissionsAtOnceStopExactlyAtTheUserLimit);
  CPPUNIT_TEST(testCheckCountsNothing);
  CPPUNIT_TEST(testASuccessGivesItsCountsBackAndTrustsTheAddress);
  CPPUNIT_TEST(testATrustedAddressIsSparedTheUsersLockButNotThePairs);
  CPPUNIT_TEST(testAnIpv6Slash64SharesOneCount);
  CPPUNIT_TEST(testARedisErrorRefuses);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    dir_.Create("login-limiter-test");
    server_.Start(dir_.path());
    config_.redis = "unix:" + server_.socket();
    config_.login_failures_per_address = 5;
    config_.login_failures_per_user = 3;
    config_.login_failure_window = 300;
    config_.login_trusted_address_days = 30;
  }

  void tearDown() override {
    server_.Stop();
    dir_.Remove();
  }

  void testIpv4IsCountedAsItIsAndIpv6ByItsSlash64() {
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), CountedAddress("127.0.0.1"));
    CPPUNIT_ASSERT_EQUAL(std::string("203.0.113.9"), CountedAddress("203.0.113.9"));
    CPPUNIT_ASSERT_EQUAL(std::string("2001:db8:1:2::/64"),
                         CountedAddress("2001:db8:1:2:aaaa:bbbb:cccc:dddd"));
    CPPUNIT_ASSERT_EQUAL(std::string("2001:db8:1:2::/64"),
                         CountedAddress("2001:0db8:0001:0002::1"));
    CPPUNIT_ASSERT_EQUAL(std::string("::/64"), CountedAddress("::1"));
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.1"), CountedAddress("::ffff:192.0.2.1"));
    for (const char* junk : {"", "localhost", "1.2.3", "1.2.3.4.5", "::g",
                             "1.2.3.4 ", "fe80::1%eth0"}) {
      CPPUNIT_ASSERT_EQUAL_MESSAGE(junk, std::string("unknown"), CountedAddress(junk));
    }
  }

  void testAdmissionsAtOnceStopExactlyAtTheAddressLimit() {
    // 12 users (each far from its own limit) from one address at once.
    CPPUNIT_ASSERT_EQUAL(5, AdmittedAtOnce(12, [](int i) {
      return std::make_pair("user" + std::to_string(i), std::string("192.0.2.7"));
    }));
  }

  void testAdmissionsAtOnceStopExactlyAtTheUserLimit() {
    // One user from 12 addresses at once.
    CPPUNIT_ASSERT_EQUAL(3, AdmittedAtOnce(12, [](int i) {
      return std::make_pair(std::string("victim"), "192.0.2." + std::to_string(10 + i));
    }));
  }

  void testCheckCountsNothing() {
    RedisClient redis(config_);
    LoginLimiter limiter(config_, &redis);
    for (int i = 0; i < 10; ++i) CPPUNIT_ASSERT(limiter.Check("u", "192.0.2.1").ok());
    CPPUNIT_ASSERT_EQUAL(std::string(), Get(AddressFailuresKey("192.0.2.1")));
    CPPUNIT_ASSERT(limiter.Admit("u", "192.0.2.1").ok());
    CPPUNIT_ASSERT_EQUAL(std::string("1"), Get(AddressFailuresKey("192.0.2.1")));
  }

  void testASuccessGivesItsCountsBackAndTrustsTheAddress() {
    RedisClient redis(config_);
    LoginLimiter limiter(config_, &redis);
    CPPUNIT_ASSERT(limiter.Admit("u", "192.0.2.1").ok());
    CPPUNIT_ASSERT(limiter.Admit("u", "192.0.2.1").ok());
    limiter.Succeeded("u", "192.0.2.1");
    CPPUNIT_ASSERT_EQUAL(std::string("1"), Get(AddressFailuresKey("192.0.2.1")));
    CPPUNIT_ASSERT_EQUAL(std::string("1"), Get(LoginFailuresKey("u")));
    CPPUNIT_ASSERT_EQUAL(std::string("1"), Get(PairFailuresKey("u", "192.0.2.1")));
    CPPUNIT_ASSERT(Hget(TrustedAddressesKey("u"), "192.0.2.1") != "");
    // Abandoned gives back without trusting.
    CPPUNIT_ASSERT(limiter.Admit("u", "198.51.100.1").ok());
    limiter.Abandoned("u", "198.51.100.1");
    CPPUNIT_ASSERT_EQUAL(std::string(), Get(AddressFailuresKey("198.51.100.1")));
    CPPUNIT_ASSERT_EQUAL(std::string(""), Hget(TrustedAddressesKey("u"), "198.51.100.1"));
    // Never below zero, and a counter that expired is not brought back.
    limiter.Abandoned("u", "198.51.100.2");
    CPPUNIT_ASSERT_EQUAL(std::string(), Get(AddressFailuresKey("198.51.100.2")));
  }

  void testATrustedAddressIsSparedTheUsersLockButNotThePairs() {
    RedisClient redis(config_);
    LoginLimiter limiter(config_, &redis);
    const std::string home = "192.0.2.1";
    CPPUNIT_ASSERT(limiter.Admit("u", home).ok());
    limiter.Succeeded("u", home);
    for (int i = 0; i < 3; ++i) {
      CPPUNIT_ASSERT(limiter.Admit("u", "198.51.100." + std::to_string(i)).ok());
    }
    Status locked = limiter.Admit("u", "198.51.100.9");
    CPPUNIT_ASSERT(locked.code() == Code::kTooManyRequests);
    CPPUNIT_ASSERT(limiter.Check("u", home).ok());
    // Failures from home count against the pair, whose limit still holds.
    for (int i = 0; i < 3; ++i) CPPUNIT_ASSERT(limiter.Admit("u", home).ok());
    CPPUNIT_ASSERT(limiter.Admit("u", home).code() == Code::kTooManyRequests);
  }

  void testAnIpv6Slash64SharesOneCount() {
    RedisClient redis(config_);
    LoginLimiter limiter(config_, &redis);
    for (int i = 0; i < 5; ++i) {
      CPPUNIT_ASSERT(
          limiter.Admit("u" + std::to_string(i), "2001:db8:7:7::" + std::to_string(i + 1)).ok());
    }
    CPPUNIT_ASSERT(limiter.Admit("other", "2001:db8:7:7:ffff::1").code() ==
                   Code::kTooManyRequests);
    CPPUNIT_ASSERT(limiter.Admit("other", "2001:db8:7:8::1").ok());  // another /64
  }

  void testARedisErrorRefuses() {
    server_.Stop();
    RedisClient redis(config_);
    LoginLimiter limiter(config_, &redis);
    CPPUNIT_ASSERT(limiter.Admit("u", "192.0.2.1").code() == Code::kServiceUnavailable);
    CPPUNIT_ASSERT(limiter.Check("u", "192.0.2.1").code() == Code::kServiceUnavailable);
  }

 private:
  // `count` admissions at once, each from a thread with a Redis connection
  // of its own, released together; how many were admitted.
  template <typename Who>
  int AdmittedAtOnce(int count, Who who) {
    std::mutex mutex;
    std::condition_variable go;
    int ready = 0;
    bool started = false;
    std::atomic<int> admitted{0}, refused{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < count; ++i) {
      threads.emplace_back([&, i] {
        RedisClient redis(config_);
        LoginLimiter limiter(config_, &redis);
        RedisReply reply;
        redis.Run({"PING"}, &reply);  // connected before the start
        {
          std::unique_lock<std::mutex> lock(mutex);
          ++ready;
          go.notify_all();
          go.wait(lock, [&] { return started; });
        }
        auto [user, address] = who(i);
        Status status = limiter.Admit(user, address);
        (status.ok() ? admitted : refused)++;
      });
    }
    {
      std::unique_lock<std::mutex> lock(mutex);
      go.wait(lock, [&] { return ready == count; });
      started = true;
      go.notify_all();
    }
    for (std::thread& thread : threads) thread.join();
    CPPUNIT_ASSERT_EQUAL(count, admitted.load() + refused.load());
    return admitted.load();
  }

  std::string Get(const std::string& key) {
    RedisClient redis(config_);
    RedisReply reply;
    CPPUNIT_ASSERT(redis.Run({"GET", key}, &reply).ok());
    return reply.text;
  }

  std::string Hget(const std::string& key, const std::string& field) {
    RedisClient redis(config_);
    RedisReply reply;
    CPPUNIT_ASSERT(redis.Run({"HGET", key, field}, &reply).ok());
    return reply.text;
  }

  test::TemporaryDirectory dir_;
  test::RedisServer server_;
  Config config_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(LoginLimiterTest);

}  // namespace
}  // namespace tokend
