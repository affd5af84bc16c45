// Unit tests for basic_auth.h against a real redis-server: how a request
// on a worker's hashing lane meets the failed-login counts while another
// worker hashes the same password. Only a request that hashes is counted;
// one that waits for the other's hash and finds it verified is not, so a
// burst of first logins with a right password is never refused as a burst
// of failures (an integration test once got 429 for one).
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <string>

#include "../redis_calls.h"
#include "../redis_server.h"
#include "../temporary_directory.h"
#include "tokend/auth/basic_auth.h"
#include "tokend/common/clock.h"
#include "tokend/store/store_keys.h"
#include "tokend/token/base64.h"

namespace tokend {
namespace {

const std::string kAddress = "192.0.2.1";
const std::string kName = "alice";
const std::string kPassword = "correct horse";
constexpr int64_t kNow = 1700000000;

class BasicAuthTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(BasicAuthTest);
  CPPUNIT_TEST(testAWaiterFoundVerifiedByAnotherHashIsNotCounted);
  CPPUNIT_TEST(testAWaiterWhoseOtherHashFailedIsCountedWhenItHashes);
  CPPUNIT_TEST(testAHashOfItsOwnIsCountedAndGivenBackOnSuccess);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    dir_.Create("basic-auth-test");
    server_.Start(dir_.path());
    config_.redis = "unix:" + server_.socket();
    config_.password_memory_kib = 8192;  // the least the loader allows
    config_.password_time_cost = 1;
    config_.login_failures_per_user = 1;
    config_.login_failures_per_address = 100;
    RedisClient redis(config_);
    UserStore users(&redis);
    UserRecord user;
    stored_hash_ = HashPassword(kPassword, PasswordHashParamsOf(config_));
    CPPUNIT_ASSERT(!stored_hash_.empty());
    CPPUNIT_ASSERT(users.Add(kName, stored_hash_, &user).ok());
    user_id_ = user.id;
  }

  void tearDown() override {
    server_.Stop();
    dir_.Remove();
  }

  void testAWaiterFoundVerifiedByAnotherHashIsNotCounted() {
    RedisClient redis(config_);
    LoginLimiter limiter(config_, &redis);
    PasswordCache cache(60);
    std::future<Status> lane = LaneBehindAnotherWorkersHash(&limiter, &cache);
    // Counting on the lane would refuse it at once (429); waiting, it
    // has not answered yet. A lane slower than this only finds the entry
    // below already made, which proves nothing but fails nothing.
    lane.wait_for(std::chrono::milliseconds(300));
    cache.Remember(kName, kPassword, stored_hash_, kNow);
    cache.Release(kName, kPassword, stored_hash_);
    limiter.Succeeded(user_id_, kAddress);
    Status status = lane.get();
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL(std::string(), Get(LoginFailuresKey(user_id_)));
  }

  void testAWaiterWhoseOtherHashFailedIsCountedWhenItHashes() {
    // The other worker's hash of the same password failed: the waiter
    // hashes it itself, and is admitted (counted) first, which the user's
    // one failure, still counted, refuses.
    RedisClient redis(config_);
    LoginLimiter limiter(config_, &redis);
    PasswordCache cache(60);
    std::future<Status> lane = LaneBehindAnotherWorkersHash(&limiter, &cache);
    lane.wait_for(std::chrono::milliseconds(300));
    cache.Release(kName, kPassword, stored_hash_);
    CPPUNIT_ASSERT(lane.get().code() == Code::kTooManyRequests);
    CPPUNIT_ASSERT_EQUAL(std::string("1"), Get(LoginFailuresKey(user_id_)));
  }

  void testAHashOfItsOwnIsCountedAndGivenBackOnSuccess() {
    // Nobody else hashing: the lane counts its attempt, hashes, and gives
    // the count back. With the user's failure taken it is refused instead.
    RedisClient redis(config_);
    LoginLimiter limiter(config_, &redis);
    PasswordCache cache(60);
    CPPUNIT_ASSERT(limiter.Admit(user_id_, kAddress).ok());
    CPPUNIT_ASSERT(AuthenticateOnALane(&cache).code() == Code::kTooManyRequests);
    limiter.Abandoned(user_id_, kAddress);
    Status status = AuthenticateOnALane(&cache);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL(std::string(), Get(LoginFailuresKey(user_id_)));
  }

 private:
  // "Another worker" admits its attempt (taking the user's one allowed
  // failure while it hashes) and claims the password; then a lane serves
  // the same right password, in a thread of its own.
  std::future<Status> LaneBehindAnotherWorkersHash(LoginLimiter* limiter,
                                                   PasswordCache* cache) {
    CPPUNIT_ASSERT(limiter->Admit(user_id_, kAddress).ok());
    CPPUNIT_ASSERT(!cache->AwaitOrClaim(kName, kPassword, stored_hash_, kNow));
    return std::async(std::launch::async,
                      [this, cache] { return AuthenticateOnALane(cache); });
  }

  // One request with the right password, served as a worker's hashing
  // lane serves it: with a claim on the hash budget, its own connection.
  Status AuthenticateOnALane(PasswordCache* cache) {
    RedisClient redis(config_);
    UserStore users(&redis);
    LoginLimiter limiter(config_, &redis);
    BasicAuth auth(config_, &users, cache, &limiter);
    HashBudgetClaim claim(MonotonicMilliseconds() + 60000);
    auth.set_hash_claim(&claim, nullptr);
    Caller caller;
    Status status = auth.Authenticate(Base64StandardEncode(kName + ":" + kPassword),
                                      kAddress, kNow, &caller, nullptr, nullptr);
    if (status.ok()) CPPUNIT_ASSERT_EQUAL(kName, caller.name);
    return status;
  }

  std::string Get(const std::string& key) {
    RedisClient redis(config_);
    return test::RedisText(&redis, {"GET", key});
  }

  test::TemporaryDirectory dir_;
  test::RedisServer server_;
  Config config_;
  std::string stored_hash_;
  std::string user_id_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(BasicAuthTest);

}  // namespace
}  // namespace tokend
