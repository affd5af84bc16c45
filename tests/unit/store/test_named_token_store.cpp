// Unit tests for named_token_store.h against a real redis-server: each test
// starts its own server on a unix socket in a fresh temporary directory and
// stops it in tearDown. Waiting for Redis to expire something polls with a
// generous deadline rather than sleeping a fixed time.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <signal.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../redis_calls.h"
#include "../redis_server.h"
#include "../status_asserts.h"
#include "tokend/store/named_token_store.h"
#include "tokend/store/redis_client.h"
#include "tokend/store/store_keys.h"
#include "tokend/store/token_store.h"
#include "tokend/store/user_store.h"
#include "tokend/token/token_ref.h"

namespace tokend {
namespace {

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

// Polls `condition` every 50 ms until it holds or `seconds` have passed;
// whether it held.
bool Eventually(const std::function<bool()>& condition, double seconds = 15.0) {
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    if (condition()) return true;
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count() > seconds) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

class NamedTokenStoreTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(NamedTokenStoreTest);
  CPPUNIT_TEST(testACreatedTokenReadsBackEveryField);
  CPPUNIT_TEST(testACreateSkipsTheInvalidationBarrierADeleteOfOneReadDoesNot);
  CPPUNIT_TEST(testARecordHoldsShortFieldsAndNoEmptyOnes);
  CPPUNIT_TEST(testAnUnknownIdIsNotFound);
  CPPUNIT_TEST(testASecondLiveTokenOfTheSameNameIsAlreadyExists);
  CPPUNIT_TEST(testAnExpiredTokensNameIsFreeAgain);
  CPPUNIT_TEST(testANameWhoseRecordIsGoneIsFreeAgain);
  CPPUNIT_TEST(testATokenIsDeadAtItsExpiryWhileItsRecordLingers);
  CPPUNIT_TEST(testCreatesPastTheLimitAreForbiddenNamingTheLimit);
  CPPUNIT_TEST(testExpiredTokensDoNotCountAgainstTheLimit);
  CPPUNIT_TEST(testRefusesWhatTheRecordCouldNotHoldFaithfully);
  CPPUNIT_TEST(testACreateForAUserWhoIsGoneWritesNothing);
  CPPUNIT_TEST(testFindsATokenByItsName);
  CPPUNIT_TEST(testListsIdsOldestFirst);
  CPPUNIT_TEST(testListsOnlyTheTokensExpiringWithinTheGivenSeconds);
  CPPUNIT_TEST(testListingPrunesExpiredIdsAndTheirNames);
  CPPUNIT_TEST(testUpdateChangesEachFieldAndLeavesTheRest);
  CPPUNIT_TEST(testRenamingToAnotherLiveTokensNameIsAlreadyExists);
  CPPUNIT_TEST(testRenamingFreesTheOldName);
  CPPUNIT_TEST(testRevokedIsReversible);
  CPPUNIT_TEST(testUpdateOfAnAbsentTokenIsNotFound);
  CPPUNIT_TEST(testDeleteRemovesTheTokenAndItsName);
  CPPUNIT_TEST(testDeleteAllLeavesOtherUsersTokens);
  CPPUNIT_TEST(testDeleteAllDeletesMoreTokensThanOneBatch);
  CPPUNIT_TEST(testTokenOwnerIsFoundWithRevokedAndCaveatCount);
  CPPUNIT_TEST(testConcurrentCreatesOfOneNameCreateExactlyOne);
  CPPUNIT_TEST(testIndexKeysLiveAsLongAsTheLongestLivedToken);
  CPPUNIT_TEST(testAUserWhoseTokensAllExpiredLeavesNothingBehind);
  CPPUNIT_TEST(testDeletingTheUserDeletesTheirNamedTokens);
  CPPUNIT_TEST(testRecordKeysNeverClashWithTheIndexKeys);
  CPPUNIT_TEST(testANamedTokenTakesAtMost400BytesOfRedisMemory);
  CPPUNIT_TEST(testUsesAreRecordedLatestFirstAndNeverMakeARecord);
  CPPUNIT_TEST(testSeedTokensAreListedAsLegacyTokensNumberedOldestFirst);
  CPPUNIT_TEST(testALegacyTokenReadsBackAsANamedAccessToken);
  CPPUNIT_TEST(testLegacyNumbersAreNeverGivenTwice);
  CPPUNIT_TEST(testNamesAreUniqueAcrossBothKinds);
  CPPUNIT_TEST(testRevokingALegacyTokenIsReversible);
  CPPUNIT_TEST(testDeletingALegacyTokenDeletesTheSeedToken);
  CPPUNIT_TEST(testDeletingAllLegacyTokensTakesRevokedOnesToo);
  CPPUNIT_TEST(testDeletingTheUserLeavesNothingOfTheirLegacyTokens);
  CPPUNIT_TEST(testAnInvitationRecordsItsSpaceLimitAndPrivileges);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    signal(SIGPIPE, SIG_IGN);
    // A node of a Redis Cluster: a script or transaction of two hash
    // slots fails (CROSSSLOT).
    config_.redis = "unix:" + test::SharedClusterNode().socket();
    config_.redis_connect_timeout_ms = 300;
    config_.redis_command_timeout_ms = 2000;
    redis_ = std::make_unique<RedisClient>(config_);
    RedisReply flushed;
    CPPUNIT_ASSERT(redis_->Run({"FLUSHALL"}, &flushed).ok());
    MakeUser(kAlice, "alice");
    MakeUser(kBob, "bob");
  }

  void tearDown() override { redis_.reset(); }

  void testACreateSkipsTheInvalidationBarrierADeleteOfOneReadDoesNot() {
    // A create changes nothing a read cache can hold (named_token_store.cpp);
    // an update or a delete changes a record caches may hold: it waits
    // for the invalidations when a cache read it (and marked it).
    NamedTokenStore store(redis_.get());
    NamedTokenRecord first;
    first.id = NewRandomId();
    first.name = "first";
    first.created_at = Now();
    bool found = false;
    UserRecord owner;
    bool revoked = false;
    size_t caveats = 0;
    NamedTokenUpdate revoke;
    revoke.revoked = true;
    ASSERT_OK(store.Create(kAlice, first, 100));  // the scripts get loaded
    ASSERT_OK(store.Update(kAlice, first.id, revoke, &found));
    ASSERT_OK(store.Delete(kAlice, first.id, &found));
    NamedTokenRecord second = first;
    second.id = NewRandomId();
    const long long before = PingCalls();
    ASSERT_OK(store.Create(kAlice, second, 100));
    CPPUNIT_ASSERT_EQUAL(before, PingCalls());
    ASSERT_OK(store.Update(kAlice, second.id, revoke, &found));
    CPPUNIT_ASSERT(found);
    CPPUNIT_ASSERT_EQUAL(before, PingCalls());  // nobody read it
    // A token check: its reads are cached.
    ASSERT_OK(store.FindTokenOwner(kAlice, second.id, &owner, &found, &revoked,
                                   &caveats));
    CPPUNIT_ASSERT(found && revoked);
    revoke.revoked = false;
    ASSERT_OK(store.Update(kAlice, second.id, revoke, &found));
    CPPUNIT_ASSERT_EQUAL(before + 1, PingCalls());
    ASSERT_OK(store.FindTokenOwner(kAlice, second.id, &owner, &found, &revoked,
                                   &caveats));
    CPPUNIT_ASSERT(found && !revoked);
    ASSERT_OK(store.Delete(kAlice, second.id, &found));
    CPPUNIT_ASSERT(found);
    CPPUNIT_ASSERT_EQUAL(before + 2, PingCalls());
    ASSERT_OK(store.FindTokenOwner(kAlice, second.id, &owner, &found, &revoked,
                                   &caveats));
    CPPUNIT_ASSERT(!found);
  }

  long long PingCalls() { return test::CommandCalls(redis_.get(), "ping"); }

  void testACreatedTokenReadsBackEveryField() {
    NamedTokenStore store(redis_.get());
    const int64_t expiry = Now() + 3600;
    NamedTokenRecord made;
    made.id = NewRandomId();
    made.name = "laptop";
    made.type = NamedTokenType::kIdentity;
    made.caveats = {"time < " + std::to_string(expiry + 10), "ip = 10.0.0.0/8",
                    "time < " + std::to_string(expiry)};
    made.created_at = Now() - 5;
    made.custom_metadata = R"({"purpose":"ci","n":[1,2]})";
    made.expires_at = expiry;
    ASSERT_OK(store.Create(kAlice, made, 100));
    NamedTokenRecord read;
    bool found = false;
    ASSERT_OK(store.Get(kAlice, made.id, &read, &found));
    CPPUNIT_ASSERT(found);
    ExpectSame(made, read);

    // The plain case: an access token without caveats, metadata or expiry.
    NamedTokenRecord plain;
    plain.id = NewRandomId();
    plain.name = "plain";
    plain.created_at = Now();
    ASSERT_OK(store.Create(kAlice, plain, 100));
    read = made;
    ASSERT_OK(store.Get(kAlice, plain.id, &read, &found));
    CPPUNIT_ASSERT(found);
    ExpectSame(plain, read);

    // Another user's id space is another.
    ASSERT_OK(store.Get(kBob, made.id, &read, &found));
    CPPUNIT_ASSERT(!found);
  }

  void testARecordHoldsShortFieldsAndNoEmptyOnes() {
    NamedTokenStore store(redis_.get());
    const int64_t expiry = Now() + 3600;
    NamedTokenRecord token = Token("short", expiry);
    ASSERT_OK(store.Create(kAlice, token, 100));
    const std::string key = NamedTokenRecordKey(kAlice, token.id);
    RedisReply fields;
    ASSERT_OK(redis_->Run({"HGETALL", key}, &fields));
    std::set<std::string> names;
    for (size_t i = 0; i < fields.elements.size(); i += 2) {
      names.insert(fields.elements[i].text);
    }
    CPPUNIT_ASSERT(names == std::set<std::string>({"n", "t", "c", "m"}));
    CPPUNIT_ASSERT_EQUAL(std::string("a"), Text({"HGET", key, "t"}));
    CPPUNIT_ASSERT_EQUAL(static_cast<long long>(expiry),
                         Integer({"EXPIRETIME", key}));
    // A token without expiry has a record without one.
    NamedTokenRecord forever = Token("forever", 0);
    ASSERT_OK(store.Create(kAlice, forever, 100));
    CPPUNIT_ASSERT_EQUAL(
        -1LL, Integer({"EXPIRETIME", NamedTokenRecordKey(kAlice, forever.id)}));
  }

  void testAnUnknownIdIsNotFound() {
    NamedTokenStore store(redis_.get());
    NamedTokenRecord read;
    bool found = true;
    ASSERT_OK(store.Get(kAlice, NewRandomId(), &read, &found));
    CPPUNIT_ASSERT(!found);
    found = true;
    ASSERT_OK(store.Get(kAlice, "not-an-id", &read, &found));
    CPPUNIT_ASSERT(!found);
  }

  void testASecondLiveTokenOfTheSameNameIsAlreadyExists() {
    NamedTokenStore store(redis_.get());
    NamedTokenRecord first = Token("laptop", Now() + 3600);
    ASSERT_OK(store.Create(kAlice, first, 100));
    NamedTokenRecord second = Token("laptop", 0);
    ASSERT_CODE(Code::kAlreadyExists, store.Create(kAlice, second, 100));
    NamedTokenRecord read;
    bool found = true;
    ASSERT_OK(store.Get(kAlice, second.id, &read, &found));
    CPPUNIT_ASSERT(!found);  // nothing of it was written
    CPPUNIT_ASSERT_EQUAL(1LL, Integer({"ZCARD", NamedTokenListKey(kAlice)}));
    // Another user may use the name.
    ASSERT_OK(store.Create(kBob, second, 100));
  }

  void testAnExpiredTokensNameIsFreeAgain() {
    NamedTokenStore store(redis_.get());
    NamedTokenRecord fleeting = Token("laptop", Now() + 2);
    ASSERT_OK(store.Create(kAlice, fleeting, 100));
    ASSERT_CODE(Code::kAlreadyExists,
                store.Create(kAlice, Token("laptop", 0), 100));
    // Redis forgets the record at the expiry.
    CPPUNIT_ASSERT(Eventually([&] {
      return Integer({"EXISTS", NamedTokenRecordKey(kAlice, fleeting.id)}) == 0;
    }));
    NamedTokenRecord successor = Token("laptop", 0);
    ASSERT_OK(store.Create(kAlice, successor, 100));
    NamedTokenRecord read;
    bool found = false;
    ASSERT_OK(store.FindByName(kAlice, "laptop", &read, &found));
    CPPUNIT_ASSERT(found);
    CPPUNIT_ASSERT_EQUAL(successor.id, read.id);
    // The create pruned the expired id.
    CPPUNIT_ASSERT_EQUAL(1LL, Integer({"ZCARD", NamedTokenListKey(kAlice)}));
  }

  void testANameWhoseRecordIsGoneIsFreeAgain() {
    // Even while the list still scores the id as live (a record lost some
    // other way): the record is what authentication looks at.
    NamedTokenStore store(redis_.get());
    NamedTokenRecord lost = Token("laptop", Now() + 3600);
    ASSERT_OK(store.Create(kAlice, lost, 100));
    Integer({"DEL", NamedTokenRecordKey(kAlice, lost.id)});
    ASSERT_OK(store.Create(kAlice, Token("laptop", 0), 100));
    // Renaming onto such a name works too.
    NamedTokenRecord other = Token("other", 0);
    ASSERT_OK(store.Create(kAlice, other, 100));
    NamedTokenRecord lost2 = Token("desk", Now() + 3600);
    ASSERT_OK(store.Create(kAlice, lost2, 100));
    ExpireNow(kAlice, lost2.id);
    bool found = false;
    NamedTokenUpdate rename;
    rename.name = "desk";
    ASSERT_OK(store.Update(kAlice, other.id, rename, &found));
    CPPUNIT_ASSERT(found);
  }

  void testATokenIsDeadAtItsExpiryWhileItsRecordLingers() {
    // Redis forgets a record a moment after its expiry (ms against s); the
    // list's score rules meanwhile.
    NamedTokenStore store(redis_.get());
    NamedTokenRecord token = Token("laptop", Now() + 3600);
    ASSERT_OK(store.Create(kAlice, token, 100));
    Integer({"ZADD", NamedTokenListKey(kAlice), "XX", std::to_string(Now() - 1),
             token.id});
    NamedTokenUpdate update;
    update.revoked = true;
    bool found = true;
    ASSERT_OK(store.Update(kAlice, token.id, update, &found));
    CPPUNIT_ASSERT(!found);
    found = true;
    ASSERT_OK(store.Delete(kAlice, token.id, &found));
    CPPUNIT_ASSERT(!found);
    // The name is free, and the create that takes it prunes the record.
    NamedTokenRecord other = Token("other", Now() + 3600);
    ASSERT_OK(store.Create(kAlice, other, 100));
    Integer({"ZADD", NamedTokenListKey(kAlice), "XX", std::to_string(Now() - 1),
             other.id});
    ASSERT_OK(store.Create(kAlice, Token("other", 0), 100));
    CPPUNIT_ASSERT_EQUAL(
        0LL, Integer({"EXISTS", NamedTokenRecordKey(kAlice, other.id)}));
  }

  void testCreatesPastTheLimitAreForbiddenNamingTheLimit() {
    NamedTokenStore store(redis_.get());
    ASSERT_OK(store.Create(kAlice, Token("one", Now() + 3600), 2));
    ASSERT_OK(store.Create(kAlice, Token("two", 0), 2));
    NamedTokenRecord third = Token("three", 0);
    ExpectLimit(2, store.Create(kAlice, third, 2));
    NamedTokenRecord read;
    bool found = true;
    ASSERT_OK(store.Get(kAlice, third.id, &read, &found));
    CPPUNIT_ASSERT(!found);
    // The limit is per user.
    ASSERT_OK(store.Create(kBob, third, 2));
    // Deleting one makes room.
    ASSERT_OK(store.FindByName(kAlice, "one", &read, &found));
    ASSERT_OK(store.Delete(kAlice, read.id, &found));
    CPPUNIT_ASSERT(found);
    ASSERT_OK(store.Create(kAlice, Token("three", 0), 2));
  }

  void testExpiredTokensDoNotCountAgainstTheLimit() {
    NamedTokenStore store(redis_.get());
    NamedTokenRecord old = Token("old", Now() + 3600);
    ASSERT_OK(store.Create(kAlice, old, 2));
    ASSERT_OK(store.Create(kAlice, Token("kept", Now() + 3600), 2));
    ExpectLimit(2, store.Create(kAlice, Token("new", 0), 2));
    ExpireNow(kAlice, old.id);
    ASSERT_OK(store.Create(kAlice, Token("new", 0), 2));
    ExpectLimit(2, store.Create(kAlice, Token("newer", 0), 2));
  }

  void testRefusesWhatTheRecordCouldNotHoldFaithfully() {
    NamedTokenStore store(redis_.get());
    NamedTokenRecord broken = Token("broken", 0);
    broken.caveats = {"time < 1", "a\nb"};
    ASSERT_CODE(Code::kBadData, store.Create(kAlice, broken, 100));
    broken.caveats = {""};
    ASSERT_CODE(Code::kBadData, store.Create(kAlice, broken, 100));
    ASSERT_CODE(Code::kBadValueName, store.Create(kAlice, Token("", 0), 100));
    ASSERT_CODE(Code::kBadData,
                store.Create(kAlice, Token("past", Now() - 1), 100));
    NamedTokenRecord bad_id = Token("bad id", 0);
    bad_id.id = "XYZ";
    ASSERT_CODE(Code::kInternal, store.Create(kAlice, bad_id, 100));
    // An id already taken.
    NamedTokenRecord first = Token("first", 0);
    ASSERT_OK(store.Create(kAlice, first, 100));
    NamedTokenRecord again = first;
    again.name = "again";
    ASSERT_CODE(Code::kInternal, store.Create(kAlice, again, 100));
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", NamedTokenListKey(kBob)}));
    CPPUNIT_ASSERT_EQUAL(1LL, Integer({"ZCARD", NamedTokenListKey(kAlice)}));
    CPPUNIT_ASSERT_EQUAL(1LL, Integer({"HLEN", NamedTokenNamesKey(kAlice)}));
  }

  void testACreateForAUserWhoIsGoneWritesNothing() {
    NamedTokenStore store(redis_.get());
    const std::string ghost = NewRandomId();
    ASSERT_CODE(Code::kNotFound, store.Create(ghost, Token("x", 0), 100));
    CPPUNIT_ASSERT(KeysOfUser(ghost).empty());
  }

  void testFindsATokenByItsName() {
    NamedTokenStore store(redis_.get());
    NamedTokenRecord laptop = Token("laptop", Now() + 3600);
    ASSERT_OK(store.Create(kAlice, laptop, 100));
    ASSERT_OK(store.Create(kAlice, Token("desk", 0), 100));
    NamedTokenRecord read;
    bool found = false;
    ASSERT_OK(store.FindByName(kAlice, "laptop", &read, &found));
    CPPUNIT_ASSERT(found);
    ExpectSame(laptop, read);
    ASSERT_OK(store.FindByName(kAlice, "phone", &read, &found));
    CPPUNIT_ASSERT(!found);
    ASSERT_OK(store.FindByName(kBob, "laptop", &read, &found));
    CPPUNIT_ASSERT(!found);
    // A stale entry (its token expired) finds nothing.
    ExpireNow(kAlice, laptop.id);
    Integer({"HSET", NamedTokenNamesKey(kAlice), "laptop", laptop.id});
    ASSERT_OK(store.FindByName(kAlice, "laptop", &read, &found));
    CPPUNIT_ASSERT(!found);
  }

  void testListsIdsOldestFirst() {
    NamedTokenStore store(redis_.get());
    const int64_t now = Now();
    NamedTokenRecord second = Token("second", now + 100);
    second.created_at = now - 20;
    NamedTokenRecord first = Token("first", 0);
    first.created_at = now - 30;
    NamedTokenRecord third = Token("third", now + 50);
    third.created_at = now - 10;
    NamedTokenRecord third_too = Token("third too", now + 5000);
    third_too.created_at = now - 10;
    for (const NamedTokenRecord* token :
         {&second, &third_too, &first, &third}) {
      ASSERT_OK(store.Create(kAlice, *token, 100));
    }
    std::vector<std::string> ids;
    ASSERT_OK(store.ListIds(kAlice, Now(), -1, &ids));
    // The same second in id order.
    const std::string& a = std::min(third.id, third_too.id);
    const std::string& b = std::max(third.id, third_too.id);
    CPPUNIT_ASSERT(ids ==
                   std::vector<std::string>({first.id, second.id, a, b}));
    ASSERT_OK(store.ListIds(kBob, Now(), -1, &ids));
    CPPUNIT_ASSERT(ids.empty());
  }

  void testListsOnlyTheTokensExpiringWithinTheGivenSeconds() {
    NamedTokenStore store(redis_.get());
    const int64_t now = Now();
    NamedTokenRecord soon = Token("soon", now + 100);
    NamedTokenRecord later = Token("later", now + 1000);
    NamedTokenRecord never = Token("never", 0);
    for (const NamedTokenRecord* token : {&soon, &later, &never}) {
      ASSERT_OK(store.Create(kAlice, *token, 100));
    }
    std::vector<std::string> ids;
    ASSERT_OK(store.ListIds(kAlice, now, 500, &ids));
    CPPUNIT_ASSERT(ids == std::vector<std::string>({soon.id}));
    ASSERT_OK(store.ListIds(kAlice, now, 100, &ids));  // within includes
    CPPUNIT_ASSERT(ids == std::vector<std::string>({soon.id}));
    ASSERT_OK(store.ListIds(kAlice, now, 99, &ids));
    CPPUNIT_ASSERT(ids.empty());
    ASSERT_OK(store.ListIds(kAlice, now, 1000, &ids));
    CPPUNIT_ASSERT_EQUAL(size_t{2}, ids.size());
    // However far ahead: a token without expiry never expires within it.
    ASSERT_OK(store.ListIds(kAlice, now, INT64_MAX, &ids));
    CPPUNIT_ASSERT_EQUAL(size_t{2}, ids.size());
    ASSERT_OK(store.ListIds(kAlice, now, -1, &ids));
    CPPUNIT_ASSERT_EQUAL(size_t{3}, ids.size());
  }

  void testListingPrunesExpiredIdsAndTheirNames() {
    NamedTokenStore store(redis_.get());
    NamedTokenRecord gone = Token("gone", Now() + 3600);
    NamedTokenRecord kept = Token("kept", Now() + 3600);
    ASSERT_OK(store.Create(kAlice, gone, 100));
    ASSERT_OK(store.Create(kAlice, kept, 100));
    ExpireNow(kAlice, gone.id);
    std::vector<std::string> ids;
    ASSERT_OK(store.ListIds(kAlice, Now(), -1, &ids));
    CPPUNIT_ASSERT(ids == std::vector<std::string>({kept.id}));
    CPPUNIT_ASSERT_EQUAL(1LL, Integer({"ZCARD", NamedTokenListKey(kAlice)}));
    CPPUNIT_ASSERT_EQUAL(
        0LL, Integer({"HEXISTS", NamedTokenNamesKey(kAlice), "gone"}));
    CPPUNIT_ASSERT_EQUAL(
        1LL, Integer({"HEXISTS", NamedTokenNamesKey(kAlice), "kept"}));
    // A listing `now` beyond an expiry leaves that token out, but only the
    // clock prunes.
    ASSERT_OK(store.ListIds(kAlice, Now() + 7200, -1, &ids));
    CPPUNIT_ASSERT(ids.empty());
    ASSERT_OK(store.ListIds(kAlice, Now(), -1, &ids));
    CPPUNIT_ASSERT(ids == std::vector<std::string>({kept.id}));
    // The last one pruned takes the names key with it.
    ExpireNow(kAlice, kept.id);
    ASSERT_OK(store.ListIds(kAlice, Now(), -1, &ids));
    CPPUNIT_ASSERT(ids.empty());
    CPPUNIT_ASSERT(KeysOfUser(kAlice) ==
                   std::vector<std::string>({UserKey(kAlice)}));
  }

  void testUpdateChangesEachFieldAndLeavesTheRest() {
    NamedTokenStore store(redis_.get());
    NamedTokenRecord token = Token("laptop", Now() + 3600);
    token.custom_metadata = R"({"a":1})";
    ASSERT_OK(store.Create(kAlice, token, 100));
    bool found = false;

    NamedTokenUpdate rename;
    rename.name = "desk";
    ASSERT_OK(store.Update(kAlice, token.id, rename, &found));
    CPPUNIT_ASSERT(found);
    token.name = "desk";
    ExpectStored(kAlice, token);

    NamedTokenUpdate metadata;
    metadata.custom_metadata = R"({"b":[2]})";
    ASSERT_OK(store.Update(kAlice, token.id, metadata, &found));
    token.custom_metadata = R"({"b":[2]})";
    ExpectStored(kAlice, token);
    metadata.custom_metadata = "";  // {} again: the field goes
    ASSERT_OK(store.Update(kAlice, token.id, metadata, &found));
    token.custom_metadata = "";
    ExpectStored(kAlice, token);
    CPPUNIT_ASSERT_EQUAL(
        0LL, Integer({"HEXISTS", NamedTokenRecordKey(kAlice, token.id), "x"}));

    NamedTokenUpdate revoke;
    revoke.revoked = true;
    ASSERT_OK(store.Update(kAlice, token.id, revoke, &found));
    token.revoked = true;
    ExpectStored(kAlice, token);

    // All at once, and nothing at all.
    NamedTokenUpdate all;
    all.name = "phone";
    all.custom_metadata = R"({"c":3})";
    all.revoked = false;
    ASSERT_OK(store.Update(kAlice, token.id, all, &found));
    token.name = "phone";
    token.custom_metadata = R"({"c":3})";
    token.revoked = false;
    ExpectStored(kAlice, token);
    ASSERT_OK(store.Update(kAlice, token.id, NamedTokenUpdate(), &found));
    CPPUNIT_ASSERT(found);
    ExpectStored(kAlice, token);
    // The record keeps its expiry through it all.
    CPPUNIT_ASSERT_EQUAL(
        static_cast<long long>(token.expires_at),
        Integer({"EXPIRETIME", NamedTokenRecordKey(kAlice, token.id)}));
    NamedTokenUpdate empty_name;
    empty_name.name = "";
    ASSERT_CODE(Code::kBadValueName,
                store.Update(kAlice, token.id, empty_name, &found));
  }

  void testRenamingToAnotherLiveTokensNameIsAlreadyExists() {
    NamedTokenStore store(redis_.get());
    NamedTokenRecord laptop = Token("laptop", 0);
    NamedTokenRecord desk = Token("desk", 0);
    ASSERT_OK(store.Create(kAlice, laptop, 100));
    ASSERT_OK(store.Create(kAlice, desk, 100));
    NamedTokenUpdate update;
    update.name = "laptop";
    update.revoked = true;
    bool found = false;
    ASSERT_CODE(Code::kAlreadyExists,
                store.Update(kAlice, desk.id, update, &found));
    ExpectStored(kAlice, desk);  // unchanged, revoked flag included
    ExpectStored(kAlice, laptop);
    // Renaming a token to its own name is no clash.
    update.name = "desk";
    ASSERT_OK(store.Update(kAlice, desk.id, update, &found));
    CPPUNIT_ASSERT(found);
  }

  void testRenamingFreesTheOldName() {
    NamedTokenStore store(redis_.get());
    NamedTokenRecord laptop = Token("laptop", 0);
    ASSERT_OK(store.Create(kAlice, laptop, 100));
    NamedTokenUpdate update;
    update.name = "desk";
    bool found = false;
    ASSERT_OK(store.Update(kAlice, laptop.id, update, &found));
    NamedTokenRecord read;
    ASSERT_OK(store.FindByName(kAlice, "laptop", &read, &found));
    CPPUNIT_ASSERT(!found);
    CPPUNIT_ASSERT_EQUAL(1LL, Integer({"HLEN", NamedTokenNamesKey(kAlice)}));
    NamedTokenRecord successor = Token("laptop", 0);
    ASSERT_OK(store.Create(kAlice, successor, 100));
    ASSERT_OK(store.FindByName(kAlice, "desk", &read, &found));
    CPPUNIT_ASSERT(found);
    CPPUNIT_ASSERT_EQUAL(laptop.id, read.id);
  }

  void testRevokedIsReversible() {
    NamedTokenStore store(redis_.get());
    NamedTokenRecord token = Token("laptop", 0);
    ASSERT_OK(store.Create(kAlice, token, 100));
    UserRecord owner;
    bool found = false, revoked = true;
    size_t caveats = 0;
    for (bool flag : {true, true, false, true, false}) {
      NamedTokenUpdate update;
      update.revoked = flag;
      ASSERT_OK(store.Update(kAlice, token.id, update, &found));
      CPPUNIT_ASSERT(found);
      token.revoked = flag;
      ExpectStored(kAlice, token);
      ASSERT_OK(store.FindTokenOwner(kAlice, token.id, &owner, &found, &revoked,
                                     &caveats));
      CPPUNIT_ASSERT(found);
      CPPUNIT_ASSERT_EQUAL(flag, revoked);
    }
    // Not revoked is no field at all.
    CPPUNIT_ASSERT_EQUAL(
        0LL, Integer({"HEXISTS", NamedTokenRecordKey(kAlice, token.id), "r"}));
  }

  void testUpdateOfAnAbsentTokenIsNotFound() {
    NamedTokenStore store(redis_.get());
    NamedTokenUpdate update;
    update.revoked = true;
    bool found = true;
    ASSERT_OK(store.Update(kAlice, NewRandomId(), update, &found));
    CPPUNIT_ASSERT(!found);
    NamedTokenRecord expired = Token("expired", Now() + 3600);
    ASSERT_OK(store.Create(kAlice, expired, 100));
    ExpireNow(kAlice, expired.id);
    found = true;
    ASSERT_OK(store.Update(kAlice, expired.id, update, &found));
    CPPUNIT_ASSERT(!found);
    // Nothing was written back.
    CPPUNIT_ASSERT_EQUAL(
        0LL, Integer({"EXISTS", NamedTokenRecordKey(kAlice, expired.id)}));
    NamedTokenRecord bobs = Token("bobs", 0);
    ASSERT_OK(store.Create(kBob, bobs, 100));
    found = true;
    ASSERT_OK(store.Update(kAlice, bobs.id, update, &found));
    CPPUNIT_ASSERT(!found);
  }

  void testDeleteRemovesTheTokenAndItsName() {
    NamedTokenStore store(redis_.get());
    NamedTokenRecord laptop = Token("laptop", Now() + 3600);
    NamedTokenRecord desk = Token("desk", 0);
    ASSERT_OK(store.Create(kAlice, laptop, 100));
    ASSERT_OK(store.Create(kAlice, desk, 100));
    bool found = false;
    ASSERT_OK(store.Delete(kAlice, laptop.id, &found));
    CPPUNIT_ASSERT(found);
    ASSERT_OK(store.Delete(kAlice, laptop.id, &found));
    CPPUNIT_ASSERT(!found);
    NamedTokenRecord read;
    ASSERT_OK(store.Get(kAlice, laptop.id, &read, &found));
    CPPUNIT_ASSERT(!found);
    ASSERT_OK(store.FindByName(kAlice, "laptop", &read, &found));
    CPPUNIT_ASSERT(!found);
    CPPUNIT_ASSERT_EQUAL(
        0LL, Integer({"HEXISTS", NamedTokenNamesKey(kAlice), "laptop"}));
    std::vector<std::string> ids;
    ASSERT_OK(store.ListIds(kAlice, Now(), -1, &ids));
    CPPUNIT_ASSERT(ids == std::vector<std::string>({desk.id}));
    ASSERT_OK(store.Delete(kBob, desk.id, &found));  // not Bob's
    CPPUNIT_ASSERT(!found);
    ASSERT_OK(store.Delete(kAlice, desk.id, &found));
    CPPUNIT_ASSERT(found);
    // The last one takes the index keys with it.
    CPPUNIT_ASSERT(KeysOfUser(kAlice) ==
                   std::vector<std::string>({UserKey(kAlice)}));
  }

  void testDeleteAllLeavesOtherUsersTokens() {
    NamedTokenStore store(redis_.get());
    for (const std::string name : {"a", "b", "c"}) {
      ASSERT_OK(
          store.Create(kAlice, Token(name, name == "a" ? 0 : Now() + 60), 100));
    }
    NamedTokenRecord bobs = Token("a", 0);
    ASSERT_OK(store.Create(kBob, bobs, 100));
    ASSERT_OK(store.DeleteAll(kAlice));
    CPPUNIT_ASSERT(KeysOfUser(kAlice) ==
                   std::vector<std::string>({UserKey(kAlice)}));
    ExpectStored(kBob, bobs);
    std::vector<std::string> ids;
    ASSERT_OK(store.ListIds(kBob, Now(), -1, &ids));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, ids.size());
    ASSERT_OK(store.DeleteAll(kAlice));  // nothing left: fine
  }

  void testDeleteAllDeletesMoreTokensThanOneBatch() {
    // The script deletes the records 500 at a time (Lua's unpack has a
    // limit).
    NamedTokenStore store(redis_.get());
    for (int i = 0; i < 1234; ++i) {
      ASSERT_OK(store.Create(kAlice, Token("t" + std::to_string(i), 0), 2000));
    }
    CPPUNIT_ASSERT_EQUAL(size_t{1234 + 3}, KeysOfUser(kAlice).size());
    ASSERT_OK(store.DeleteAll(kAlice));
    CPPUNIT_ASSERT(KeysOfUser(kAlice) ==
                   std::vector<std::string>({UserKey(kAlice)}));
  }

  void testTokenOwnerIsFoundWithRevokedAndCaveatCount() {
    NamedTokenStore store(redis_.get());
    NamedTokenRecord token = Token("laptop", Now() + 3600);
    token.caveats.push_back("ip = 10.0.0.1");
    token.revoked = true;
    ASSERT_OK(store.Create(kAlice, token, 100));
    NamedTokenRecord bare = Token("bare", 0);
    ASSERT_OK(store.Create(kAlice, bare, 100));
    UserRecord owner;
    bool found = false, revoked = false;
    size_t caveats = 0;
    ASSERT_OK(store.FindTokenOwner(kAlice, token.id, &owner, &found, &revoked,
                                   &caveats));
    CPPUNIT_ASSERT(found);
    CPPUNIT_ASSERT(revoked);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, caveats);
    CPPUNIT_ASSERT_EQUAL(kAlice, owner.id);
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), owner.name);
    CPPUNIT_ASSERT_EQUAL(std::string("hash-of-alice"), owner.password_hash);
    ASSERT_OK(store.FindTokenOwner(kAlice, bare.id, &owner, &found, &revoked,
                                   &caveats));
    CPPUNIT_ASSERT(found);
    CPPUNIT_ASSERT(!revoked);
    CPPUNIT_ASSERT_EQUAL(size_t{0}, caveats);
    // No such token, another user's, a deleted one.
    ASSERT_OK(store.FindTokenOwner(kAlice, NewRandomId(), &owner, &found,
                                   &revoked, &caveats));
    CPPUNIT_ASSERT(!found);
    ASSERT_OK(store.FindTokenOwner(kBob, token.id, &owner, &found, &revoked,
                                   &caveats));
    CPPUNIT_ASSERT(!found);
    // The user gone, the record still there.
    Integer({"DEL", UserKey(kAlice)});
    ASSERT_OK(store.FindTokenOwner(kAlice, bare.id, &owner, &found, &revoked,
                                   &caveats));
    CPPUNIT_ASSERT(!found);
    // One round trip: a pipeline of two commands, no script (counted at
    // Redis, so not answered from the client-side cache).
    redis_->StopCachingReads();
    Text({"CONFIG", "RESETSTAT"});
    ASSERT_OK(store.FindTokenOwner(kAlice, bare.id, &owner, &found, &revoked,
                                   &caveats));
    RedisReply info;
    ASSERT_OK(redis_->Run({"INFO", "commandstats"}, &info));
    CPPUNIT_ASSERT(info.text.find("cmdstat_hmget:calls=2,") !=
                   std::string::npos);
    CPPUNIT_ASSERT(info.text.find("cmdstat_eval") == std::string::npos);
  }

  void testConcurrentCreatesOfOneNameCreateExactlyOne() {
    constexpr int kThreads = 6;
    constexpr int kRounds = 20;
    std::atomic<int> created{0}, clashed{0}, other{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        RedisClient client(config_);
        NamedTokenStore store(&client);
        for (int round = 0; round < kRounds; ++round) {
          Status status = store.Create(
              kAlice, Token("name-" + std::to_string(round), 0), 1000);
          if (status.ok()) {
            ++created;
          } else if (status.code() == Code::kAlreadyExists) {
            ++clashed;
          } else {
            ++other;
          }
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    CPPUNIT_ASSERT_EQUAL(0, other.load());
    CPPUNIT_ASSERT_EQUAL(kRounds, created.load());
    CPPUNIT_ASSERT_EQUAL(kRounds * (kThreads - 1), clashed.load());
    CPPUNIT_ASSERT_EQUAL(static_cast<long long>(kRounds),
                         Integer({"ZCARD", NamedTokenListKey(kAlice)}));
    CPPUNIT_ASSERT_EQUAL(static_cast<long long>(kRounds),
                         Integer({"HLEN", NamedTokenNamesKey(kAlice)}));
  }

  void testIndexKeysLiveAsLongAsTheLongestLivedToken() {
    NamedTokenStore store(redis_.get());
    const int64_t now = Now();
    const std::string list = NamedTokenListKey(kAlice);
    const std::string names = NamedTokenNamesKey(kAlice);
    auto expect_lifetime = [&](long long expected) {
      CPPUNIT_ASSERT_EQUAL(expected, Integer({"EXPIRETIME", list}));
      CPPUNIT_ASSERT_EQUAL(expected, Integer({"EXPIRETIME", names}));
    };
    NamedTokenRecord shorter = Token("short", now + 100);
    ASSERT_OK(store.Create(kAlice, shorter, 100));
    expect_lifetime(now + 100);
    NamedTokenRecord longer = Token("long", now + 5000);
    ASSERT_OK(store.Create(kAlice, longer, 100));
    expect_lifetime(now + 5000);
    ASSERT_OK(store.Create(kAlice, Token("shortest", now + 50), 100));
    expect_lifetime(now + 5000);  // a shorter-lived token never shortens it
    NamedTokenRecord forever = Token("forever", 0);
    ASSERT_OK(store.Create(kAlice, forever, 100));
    expect_lifetime(-1);
    ASSERT_OK(store.Create(kAlice, Token("later", now + 9000), 100));
    expect_lifetime(-1);  // while one never expires
    bool found = false;
    ASSERT_OK(store.Delete(kAlice, forever.id, &found));
    expect_lifetime(now + 9000);
    NamedTokenRecord read;
    ASSERT_OK(store.FindByName(kAlice, "later", &read, &found));
    ASSERT_OK(store.Delete(kAlice, read.id, &found));
    expect_lifetime(now + 5000);  // the longest-lived left
    // A rename keeps it (the names key is briefly rewritten).
    NamedTokenUpdate rename;
    rename.name = "long renamed";
    ASSERT_OK(store.Update(kAlice, longer.id, rename, &found));
    expect_lifetime(now + 5000);
  }

  void testAUserWhoseTokensAllExpiredLeavesNothingBehind() {
    NamedTokenStore store(redis_.get());
    ASSERT_OK(store.Create(kAlice, Token("one", Now() + 1), 100));
    ASSERT_OK(store.Create(kAlice, Token("two", Now() + 2), 100));
    CPPUNIT_ASSERT_EQUAL(size_t{5}, KeysOfUser(kAlice).size());
    // Without any further call: Redis expires every key by itself.
    CPPUNIT_ASSERT(Eventually([&] {
      return KeysOfUser(kAlice) == std::vector<std::string>({UserKey(kAlice)});
    }));
  }

  void testDeletingTheUserDeletesTheirNamedTokens() {
    UserStore users(redis_.get());
    NamedTokenStore store(redis_.get());
    UserRecord carol, dave;
    ASSERT_OK(users.Add("carol", "hash", &carol));
    ASSERT_OK(users.Add("dave", "hash", &dave));
    NamedTokenRecord forever = Token("forever", 0);
    ASSERT_OK(store.Create(carol.id, forever, 100));
    ASSERT_OK(store.Create(carol.id, Token("hour", Now() + 3600), 100));
    NamedTokenRecord daves = Token("forever", 0);
    ASSERT_OK(store.Create(dave.id, daves, 100));
    ASSERT_OK(users.Delete("carol"));
    CPPUNIT_ASSERT(KeysOfUser(carol.id).empty());
    ExpectStored(dave.id, daves);
    // The old id takes no new named token.
    ASSERT_CODE(Code::kNotFound, store.Create(carol.id, Token("late", 0), 100));
    CPPUNIT_ASSERT(KeysOfUser(carol.id).empty());
  }

  void testRecordKeysNeverClashWithTheIndexKeys() {
    const std::string uid = "0123456789abcdef0123456789abcdef";
    CPPUNIT_ASSERT_EQUAL("oz:{" + uid + "}n" + uid,
                         NamedTokenRecordKey(uid, uid));
    CPPUNIT_ASSERT_EQUAL("oz:{" + uid + "}:named", NamedTokenListKey(uid));
    CPPUNIT_ASSERT_EQUAL("oz:{" + uid + "}:names", NamedTokenNamesKey(uid));
    // The scripts append the id to the key of the empty id.
    CPPUNIT_ASSERT_EQUAL(NamedTokenRecordKey(uid, "") + uid,
                         NamedTokenRecordKey(uid, uid));
    // A record key has 'n' after the tag; every other key of the user ':'
    // or another kind letter.
    for (const std::string& key :
         {NamedTokenListKey(uid), NamedTokenNamesKey(uid), UserKey(uid),
          TokenListKey(uid), TokenRecordKey(uid, "nAAAA"), UserSpacesKey(uid),
          UserSpaceReservationsKey(uid), LoginFailuresKey(uid),
          TrustedAddressesKey(uid)}) {
      CPPUNIT_ASSERT(key.compare(0, NamedTokenRecordKey(uid, "").size(),
                                 NamedTokenRecordKey(uid, "")) != 0);
    }
  }

  void testANamedTokenTakesAtMost400BytesOfRedisMemory() {
    // As the Redis docs count it: MEMORY USAGE of the token's record, plus
    // its share of the two index keys (their size with 100 tokens over 100).
    NamedTokenStore store(redis_.get());
    constexpr int kTokens = 100;
    const int64_t expiry = Now() + 365 * 24 * 3600;
    std::vector<std::string> ids;
    for (int i = 0; i < kTokens; ++i) {
      std::string name = "token-name-" + std::to_string(100000000 + i);
      CPPUNIT_ASSERT_EQUAL(size_t{20}, name.size());
      NamedTokenRecord token = Token(name, expiry);
      ASSERT_OK(store.Create(kAlice, token, 1000));
      ids.push_back(token.id);
    }
    long long records = 0;
    for (const std::string& id : ids) {
      records += Integer(
          {"MEMORY", "USAGE", NamedTokenRecordKey(kAlice, id), "SAMPLES", "0"});
    }
    const long long list =
        Integer({"MEMORY", "USAGE", NamedTokenListKey(kAlice), "SAMPLES", "0"});
    const long long names = Integer(
        {"MEMORY", "USAGE", NamedTokenNamesKey(kAlice), "SAMPLES", "0"});
    const long long per_token = (records + list + names) / kTokens;
    std::cerr << "\n  named token: " << per_token
              << " bytes of Redis memory each (record " << records / kTokens
              << ", list " << list / kTokens << ", names " << names / kTokens
              << ")\n";
    CPPUNIT_ASSERT(per_token <= 400);
  }

  void testUsesAreRecordedLatestFirstAndNeverMakeARecord() {
    NamedTokenStore store(redis_.get());
    const int64_t now = Now();
    NamedTokenRecord token = Token("used", Now() + 3600);
    ASSERT_OK(store.Create(kAlice, token, 100));
    NamedTokenRecord gone = Token("gone", Now() + 3600);
    ASSERT_OK(store.Create(kAlice, gone, 100));
    bool found = false;
    ASSERT_OK(store.Delete(kAlice, gone.id, &found));
    // A later use wins over an earlier one in the same batch or the next;
    // a use of a deleted token makes no record.
    ASSERT_OK(store.RecordUses({{kAlice, token.id, now - 10, "10.0.0.1"},
                                {kAlice, gone.id, now, "10.0.0.3"}}));
    ASSERT_OK(store.RecordUses({{kAlice, token.id, now - 20, "10.0.0.2"}}));
    NamedTokenRecord read;
    ASSERT_OK(store.Get(kAlice, token.id, &read, &found));
    CPPUNIT_ASSERT(found);
    CPPUNIT_ASSERT_EQUAL(now - 10, read.last_used);
    CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.1"), read.last_used_ip);
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", NamedTokenRecordKey(kAlice, gone.id)}));
    // The rest of the record is untouched, its expiry included.
    ExpectSame(token, read);
    CPPUNIT_ASSERT_EQUAL(static_cast<long long>(token.expires_at),
                         Integer({"EXPIRETIME", NamedTokenRecordKey(kAlice, token.id)}));
  }

  // --- invitations (issue 14) ---------------------------------------------

  // A named invitation of alice's to `space_id` admitting `limit` (0: no
  // limit) users.
  NamedTokenRecord MakeInvitation(const std::string& space_id, int64_t limit) {
    NamedTokenStore store(redis_.get());
    NamedTokenRecord invitation;
    invitation.id = NewRandomId();
    invitation.name = "invite " + invitation.id.substr(0, 8);
    invitation.type = NamedTokenType::kInvite;
    invitation.invite_space_id = space_id;
    invitation.usage_limit = limit;
    invitation.created_at = Now();
    ASSERT_OK(store.Create(kAlice, invitation, 100));
    return invitation;
  }

  int64_t UsageCount(const std::string& id) {
    NamedTokenStore store(redis_.get());
    NamedTokenRecord read;
    bool found = false;
    ASSERT_OK(store.Get(kAlice, id, &read, &found));
    CPPUNIT_ASSERT(found);
    return read.usage_count;
  }

  void testAnInvitationRecordsItsSpaceLimitAndPrivileges() {
    NamedTokenStore store(redis_.get());
    const std::string space = NewRandomId();
    NamedTokenRecord made = MakeInvitation(space, 0);
    made.id = NewRandomId();
    made.name = "with privileges";
    made.usage_limit = 5;
    made.usage_count = 4;  // ignored: a new invitation has admitted no one
    made.privileges = {"space_view", "space_read_data"};
    ASSERT_OK(store.Create(kAlice, made, 100));
    NamedTokenRecord read;
    bool found = false;
    ASSERT_OK(store.Get(kAlice, made.id, &read, &found));
    CPPUNIT_ASSERT(found && read.type == NamedTokenType::kInvite);
    CPPUNIT_ASSERT_EQUAL(space, read.invite_space_id);
    CPPUNIT_ASSERT_EQUAL(int64_t{5}, read.usage_limit);
    CPPUNIT_ASSERT_EQUAL(int64_t{0}, read.usage_count);
    CPPUNIT_ASSERT(read.privileges == made.privileges);
    const std::string key = NamedTokenRecordKey(kAlice, made.id);
    CPPUNIT_ASSERT_EQUAL(std::string("j"),
                         test::RedisText(redis_.get(), {"HGET", key, "t"}));
    CPPUNIT_ASSERT_EQUAL(std::string("5"),
                         test::RedisText(redis_.get(), {"HGET", key, "l"}));
    CPPUNIT_ASSERT_EQUAL(0LL, test::RedisInteger(redis_.get(), {"HEXISTS", key, "k"}));
    // No limit: no field. Not an invitation: none of the four.
    CPPUNIT_ASSERT_EQUAL(int64_t{0}, UsageCount(MakeInvitation(space, 0).id));
    made.privileges = {"space,view"};
    made.id = NewRandomId();
    made.name = "bad privilege";
    ASSERT_CODE(Code::kBadData, store.Create(kAlice, made, 100));
    made.privileges.clear();
    made.invite_space_id = "not a space";
    ASSERT_CODE(Code::kBadData, store.Create(kAlice, made, 100));
  }

 private:
  // A user as UserStore writes one (record and name key), under an id of
  // the test's.
  void MakeUser(const std::string& id, const std::string& name) {
    Integer({"HSET", UserKey(id), "name", name, "pw", "hash-of-" + name});
    Text({"SET", UserNameKey(name), id});
  }

  // A fresh token named `name` with one time caveat at `expires_at` (none
  // when 0), created now.
  static NamedTokenRecord Token(const std::string& name, int64_t expires_at) {
    NamedTokenRecord token;
    token.id = NewRandomId();
    token.name = name;
    if (expires_at != 0) {
      token.caveats = {"time < " + std::to_string(expires_at)};
    }
    token.created_at = Now();
    token.expires_at = expires_at;
    return token;
  }

  // A seed token issued `age_ms` ago, expiring in an hour; its nonce.
  std::string AddSeed(const std::string& user_id, int64_t age_ms,
                      int64_t expires_at = 0) {
    TokenStore tokens(redis_.get());
    StoredToken token;
    token.nonce = NewTokenNonce();
    token.expires_at = expires_at != 0 ? expires_at : Now() + 3600;
    ASSERT_OK(tokens.Add(user_id, token, Now() * 1000 - age_ms, 100,
                                nullptr));
    return token.nonce;
  }

  std::vector<std::string> Ids(const std::string& user_id) {
    NamedTokenStore store(redis_.get());
    std::vector<std::string> ids;
    Status status = store.ListIds(user_id, Now(), -1, &ids);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    return ids;
  }

  NamedTokenRecord Read(const std::string& user_id, const std::string& id,
                        bool expect_found = true) {
    NamedTokenStore store(redis_.get());
    NamedTokenRecord read;
    bool found = false;
    Status status = store.Get(user_id, id, &read, &found);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL(expect_found, found);
    return read;
  }

  void testSeedTokensAreListedAsLegacyTokensNumberedOldestFirst() {
    // Issued before anything here met them, newest first.
    const std::string newer = AddSeed(kAlice, 1000);
    const std::string older = AddSeed(kAlice, 5000);
    NamedTokenRecord named = Token("mine", 0);
    named.created_at = Now() - 3;
    NamedTokenStore store(redis_.get());
    ASSERT_OK(store.Create(kAlice, named, 100));
    CPPUNIT_ASSERT(Ids(kAlice) == std::vector<std::string>(
                                      {LegacyTokenId(older), named.id,
                                       LegacyTokenId(newer)}));
    CPPUNIT_ASSERT_EQUAL(std::string("legacy token 1"),
                         Read(kAlice, LegacyTokenId(older)).name);
    CPPUNIT_ASSERT_EQUAL(std::string("legacy token 2"),
                         Read(kAlice, LegacyTokenId(newer)).name);
    // Bob's are his own.
    CPPUNIT_ASSERT(Ids(kBob).empty());
    Read(kBob, LegacyTokenId(older), false);
  }

  void testALegacyTokenReadsBackAsANamedAccessToken() {
    const int64_t expiry = Now() + 600;
    const std::string nonce = AddSeed(kAlice, 2000, expiry);
    const std::string id = LegacyTokenId(nonce);
    CPPUNIT_ASSERT_EQUAL(std::string("00000000"), id.substr(0, 8));
    std::string parsed;
    CPPUNIT_ASSERT(ParseLegacyTokenId(id, &parsed));
    CPPUNIT_ASSERT_EQUAL(nonce, parsed);
    // Read before any listing: numbered then.
    NamedTokenRecord read = Read(kAlice, id);
    CPPUNIT_ASSERT_EQUAL(id, read.id);
    CPPUNIT_ASSERT_EQUAL(nonce, read.legacy_nonce);
    CPPUNIT_ASSERT_EQUAL(std::string("legacy token 1"), read.name);
    CPPUNIT_ASSERT(read.type == NamedTokenType::kAccess);
    CPPUNIT_ASSERT(read.caveats ==
                   std::vector<std::string>({"time < " + std::to_string(expiry)}));
    CPPUNIT_ASSERT_EQUAL(expiry, read.expires_at);
    CPPUNIT_ASSERT(read.created_at >= Now() - 4 && read.created_at <= Now());
    CPPUNIT_ASSERT(!read.revoked);
    NamedTokenStore store(redis_.get());
    bool found = false;
    NamedTokenRecord by_name;
    ASSERT_OK(store.FindByName(kAlice, "legacy token 1", &by_name, &found));
    CPPUNIT_ASSERT(found);
    CPPUNIT_ASSERT_EQUAL(id, by_name.id);
    // Metadata and a new name stick.
    NamedTokenUpdate update;
    update.name = "ci runner";
    update.custom_metadata = R"({"a":1})";
    ASSERT_OK(store.Update(kAlice, id, update, &found));
    CPPUNIT_ASSERT(found);
    read = Read(kAlice, id);
    CPPUNIT_ASSERT_EQUAL(std::string("ci runner"), read.name);
    CPPUNIT_ASSERT_EQUAL(std::string(R"({"a":1})"), read.custom_metadata);
    ASSERT_OK(store.FindByName(kAlice, "legacy token 1", &by_name, &found));
    CPPUNIT_ASSERT(!found);
  }

  void testLegacyNumbersAreNeverGivenTwice() {
    const std::string first = AddSeed(kAlice, 3000);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, Ids(kAlice).size());
    // The first goes (as at its expiry); the next is number 2.
    Integer({"DEL", TokenRecordKey(kAlice, first)});
    const std::string second = AddSeed(kAlice, 1000);
    CPPUNIT_ASSERT(Ids(kAlice) ==
                   std::vector<std::string>({LegacyTokenId(second)}));
    CPPUNIT_ASSERT_EQUAL(std::string("legacy token 2"),
                         Read(kAlice, LegacyTokenId(second)).name);
    // What the first left behind is gone.
    CPPUNIT_ASSERT_EQUAL(std::string(""),
                         Text({"HGET", LegacyNamesKey(kAlice), "n" + first}));
  }

  void testNamesAreUniqueAcrossBothKinds() {
    NamedTokenStore store(redis_.get());
    // A named token holds the name the next legacy number would give.
    ASSERT_OK(store.Create(kAlice, Token("legacy token 1", 0), 100));
    const std::string nonce = AddSeed(kAlice, 1000);
    const std::string id = LegacyTokenId(nonce);
    CPPUNIT_ASSERT_EQUAL(std::string("legacy token 2"), Read(kAlice, id).name);
    // Neither kind takes the other's name.
    ASSERT_CODE(Code::kAlreadyExists,
                store.Create(kAlice, Token("legacy token 2", 0), 100));
    NamedTokenRecord laptop = Token("laptop", 0);
    ASSERT_OK(store.Create(kAlice, laptop, 100));
    NamedTokenUpdate to_named;
    to_named.name = "laptop";
    bool found = false;
    ASSERT_CODE(Code::kAlreadyExists, store.Update(kAlice, id, to_named, &found));
    NamedTokenUpdate to_legacy;
    to_legacy.name = "legacy token 2";
    ASSERT_CODE(Code::kAlreadyExists,
                store.Update(kAlice, laptop.id, to_legacy, &found));
    // Once the seed token is gone its name is free.
    Integer({"DEL", TokenRecordKey(kAlice, nonce)});
    ASSERT_OK(store.Update(kAlice, laptop.id, to_legacy, &found));
    CPPUNIT_ASSERT(found);
  }

  void testRevokingALegacyTokenIsReversible() {
    UserStore users(redis_.get());
    NamedTokenStore store(redis_.get());
    TokenStore tokens(redis_.get());
    const int64_t expiry = Now() + 900;
    const std::string nonce = AddSeed(kAlice, 1000, expiry);
    const std::string id = LegacyTokenId(nonce);
    NamedTokenUpdate revoke;
    revoke.revoked = true;
    bool found = false, revoked = false;
    ASSERT_OK(store.Update(kAlice, id, revoke, &found));
    CPPUNIT_ASSERT(found);
    CPPUNIT_ASSERT(Read(kAlice, id).revoked);
    CPPUNIT_ASSERT(Ids(kAlice) == std::vector<std::string>({id}));
    // The seed listing leaves it out; authentication tells it revoked.
    std::vector<StoredToken> listed;
    ASSERT_OK(tokens.List(kAlice, &listed));
    CPPUNIT_ASSERT(listed.empty());
    UserRecord owner;
    ASSERT_OK(users.FindTokenOwner(kAlice, nonce, &owner, &found, &revoked));
    CPPUNIT_ASSERT(!found);
    CPPUNIT_ASSERT(revoked);
    CPPUNIT_ASSERT_EQUAL(static_cast<long long>(expiry),
                         Integer({"EXPIRETIME", RevokedTokenRecordKey(kAlice, nonce)}));
    NamedTokenUpdate unrevoke;
    unrevoke.revoked = false;
    ASSERT_OK(store.Update(kAlice, id, unrevoke, &found));
    CPPUNIT_ASSERT(!Read(kAlice, id).revoked);
    ASSERT_OK(tokens.List(kAlice, &listed));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, listed.size());
    CPPUNIT_ASSERT_EQUAL(nonce, listed[0].nonce);
    CPPUNIT_ASSERT_EQUAL(expiry, listed[0].expires_at);
    ASSERT_OK(users.FindTokenOwner(kAlice, nonce, &owner, &found, &revoked));
    CPPUNIT_ASSERT(found);
    CPPUNIT_ASSERT(!revoked);
    CPPUNIT_ASSERT_EQUAL(static_cast<long long>(expiry),
                         Integer({"EXPIRETIME", TokenRecordKey(kAlice, nonce)}));
  }

  void testDeletingALegacyTokenDeletesTheSeedToken() {
    UserStore users(redis_.get());
    NamedTokenStore store(redis_.get());
    const std::string nonce = AddSeed(kAlice, 1000);
    const std::string id = LegacyTokenId(nonce);
    bool found = false, revoked = false;
    ASSERT_OK(store.Delete(kAlice, id, &found));
    CPPUNIT_ASSERT(found);
    Read(kAlice, id, false);
    CPPUNIT_ASSERT(Ids(kAlice).empty());
    UserRecord owner;
    ASSERT_OK(users.FindTokenOwner(kAlice, nonce, &owner, &found, &revoked));
    CPPUNIT_ASSERT(!found);
    CPPUNIT_ASSERT(!revoked);
    ASSERT_OK(store.Delete(kAlice, id, &found));
    CPPUNIT_ASSERT(!found);
  }

  void testDeletingAllLegacyTokensTakesRevokedOnesToo() {
    NamedTokenStore store(redis_.get());
    const std::string kept = AddSeed(kBob, 1000);
    const std::string one = AddSeed(kAlice, 2000);
    AddSeed(kAlice, 1000);
    NamedTokenUpdate revoke;
    revoke.revoked = true;
    bool found = false;
    ASSERT_OK(store.Update(kAlice, LegacyTokenId(one), revoke, &found));
    ASSERT_OK(store.DeleteAllLegacy(kAlice));
    CPPUNIT_ASSERT(Ids(kAlice).empty());
    // Only the user record and the counter are left.
    CPPUNIT_ASSERT(KeysOfUser(kAlice) ==
                   std::vector<std::string>({LegacyNamesKey(kAlice),
                                             UserKey(kAlice)}) ||
                   KeysOfUser(kAlice) ==
                   std::vector<std::string>({UserKey(kAlice),
                                             LegacyNamesKey(kAlice)}));
    CPPUNIT_ASSERT(Ids(kBob) == std::vector<std::string>({LegacyTokenId(kept)}));
  }

  void testDeletingTheUserLeavesNothingOfTheirLegacyTokens() {
    UserStore users(redis_.get());
    NamedTokenStore store(redis_.get());
    UserRecord carol;
    ASSERT_OK(users.Add("carol", "hash", &carol));
    const std::string revoked = AddSeed(carol.id, 2000);
    AddSeed(carol.id, 1000);
    NamedTokenUpdate revoke;
    revoke.revoked = true;
    revoke.custom_metadata = R"({"a":1})";
    bool found = false;
    ASSERT_OK(store.Update(carol.id, LegacyTokenId(revoked), revoke, &found));
    CPPUNIT_ASSERT(found);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, Ids(carol.id).size());
    ASSERT_OK(users.Delete("carol"));
    CPPUNIT_ASSERT(KeysOfUser(carol.id).empty());
  }

  // What Redis and time together do at a token's expiry, done at once: the
  // record is gone and its list score has passed.
  void ExpireNow(const std::string& user_id, const std::string& id) {
    Integer({"ZADD", NamedTokenListKey(user_id), "XX",
             std::to_string(Now() - 1), id});
    Integer({"DEL", NamedTokenRecordKey(user_id, id)});
  }

  static void ExpectSame(const NamedTokenRecord& expected,
                         const NamedTokenRecord& actual) {
    CPPUNIT_ASSERT_EQUAL(expected.id, actual.id);
    CPPUNIT_ASSERT_EQUAL(expected.name, actual.name);
    CPPUNIT_ASSERT(expected.type == actual.type);
    CPPUNIT_ASSERT(expected.caveats == actual.caveats);
    CPPUNIT_ASSERT_EQUAL(expected.created_at, actual.created_at);
    CPPUNIT_ASSERT_EQUAL(expected.custom_metadata, actual.custom_metadata);
    CPPUNIT_ASSERT_EQUAL(expected.revoked, actual.revoked);
    CPPUNIT_ASSERT_EQUAL(expected.expires_at, actual.expires_at);
  }

  void ExpectStored(const std::string& user_id,
                    const NamedTokenRecord& expected) {
    NamedTokenStore store(redis_.get());
    NamedTokenRecord read;
    bool found = false;
    ASSERT_OK(store.Get(user_id, expected.id, &read, &found));
    CPPUNIT_ASSERT(found);
    ExpectSame(expected, read);
    ASSERT_OK(store.FindByName(user_id, expected.name, &read, &found));
    CPPUNIT_ASSERT(found);
    CPPUNIT_ASSERT_EQUAL(expected.id, read.id);
  }

  // 403 forbidden with details.limit = `limit`, a number.
  static void ExpectLimit(int limit, const Status& status) {
    ASSERT_CODE(Code::kForbidden, status);
    const std::vector<Status::Detail>& details = status.details();
    CPPUNIT_ASSERT_EQUAL(size_t{1}, details.size());
    CPPUNIT_ASSERT_EQUAL(std::string("limit"), details[0].key);
    CPPUNIT_ASSERT_EQUAL(std::to_string(limit), details[0].value);
    CPPUNIT_ASSERT(details[0].number);
  }

  // Every key of the user (SCAN of "oz:{uid}*"), sorted.
  std::vector<std::string> KeysOfUser(const std::string& user_id) {
    std::set<std::string> keys;
    std::string cursor = "0";
    do {
      RedisReply reply;
      ASSERT_OK(redis_->Run(
          {"SCAN", cursor, "MATCH", "oz:{" + user_id + "}*", "COUNT", "1000"},
          &reply));
      CPPUNIT_ASSERT_EQUAL(size_t{2}, reply.elements.size());
      cursor = reply.elements[0].text;
      for (const RedisReply& key : reply.elements[1].elements) {
        keys.insert(key.text);
      }
    } while (cursor != "0");
    return std::vector<std::string>(keys.begin(), keys.end());
  }

  std::string Text(const RedisCommand& command) {
    return test::RedisText(redis_.get(), command);
  }
  long long Integer(const RedisCommand& command) {
    return test::RedisInteger(redis_.get(), command);
  }

  const std::string kAlice = NewRandomId();
  const std::string kBob = NewRandomId();

  Config config_;
  std::unique_ptr<RedisClient> redis_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(NamedTokenStoreTest);

}  // namespace tokend
