// Unit tests for redis_client.h, token_store.h and user_store.h against a
// real redis-server. Each test starts its own server on a unix socket in a
// fresh temporary directory (no TCP port, no persistence) and stops it by
// pid in tearDown, so tests never share data or depend on a system Redis.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../redis_calls.h"
#include "../redis_server.h"
#include "../temporary_directory.h"
#include "tokend/store/redis_client.h"
#include "tokend/store/store_keys.h"
#include "tokend/store/token_store.h"
#include "tokend/store/user_id_migration.h"
#include "tokend/store/user_store.h"
#include "tokend/token/token_ref.h"

namespace tokend {
namespace {

using Clock = std::chrono::steady_clock;

std::string Describe(Code code) { return ErrorIdOf(code); }

#define ASSERT_CODE(expected, status_expr)                      \
  do {                                                          \
    const Status status_once = (status_expr);                   \
    CPPUNIT_ASSERT_EQUAL_MESSAGE(status_once.description(),     \
                                 Describe(expected),            \
                                 Describe(status_once.code())); \
  } while (0)

#define ASSERT_OK(status_expr) ASSERT_CODE(Code::kOk, status_expr)

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

class StoreTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(StoreTest);
  CPPUNIT_TEST(testAddedTokenIsLive);
  CPPUNIT_TEST(testAddingATokenSkipsTheBarrierRevokingOneReadWaitsForIt);
  CPPUNIT_TEST(testTokenOwnerIsFoundOnlyWhileRecordAndUserExist);
  CPPUNIT_TEST(testUnknownTokenIsNotLive);
  CPPUNIT_TEST(testListsTokensNewestFirst);
  CPPUNIT_TEST(testListOfUserWithoutTokensIsEmpty);
  CPPUNIT_TEST(testTokensOfOneUserAreInvisibleToAnother);
  CPPUNIT_TEST(testRevokeDeletesTheTokenAndASecondRevokeFindsNothing);
  CPPUNIT_TEST(testRevokeLeavesTheOtherTokens);
  CPPUNIT_TEST(testGuardedWritesRunOnlyWhileEveryGuardKeyExists);
  CPPUNIT_TEST(testPasswordGuardedWritesRunOnlyWhileTheUserHasThatHash);
  CPPUNIT_TEST(testRecordTtlEqualsExpiryMinusNow);
  CPPUNIT_TEST(testListTakesTheExpiryFromTheMemberAndDropsTheRest);
  CPPUNIT_TEST(testListMembersParseBackOnlyWhenWellFormed);
  CPPUNIT_TEST(testTokenListLivesAsLongAsItsLongestLivedToken);
  CPPUNIT_TEST(testExpiredRecordsDisappearFromTheList);
  CPPUNIT_TEST(testRefusesATokenBeyondTheUsersLimit);
  CPPUNIT_TEST(testRevokingMakesRoomUnderTheLimit);
  CPPUNIT_TEST(testTokensRedisForgotDoNotCountAgainstTheLimit);
  CPPUNIT_TEST(testLimitCountsOnlyTheUsersOwnTokens);
  CPPUNIT_TEST(testAddsUserAndFindsItByNameAndById);
  CPPUNIT_TEST(testAddingATakenNameIsAlreadyExists);
  CPPUNIT_TEST(testFindingAnAbsentUserIsOkButNotFound);
  CPPUNIT_TEST(testSetPasswordHashReplacesTheHash);
  CPPUNIT_TEST(testSetPasswordHashOfAbsentUserIsNotFound);
  CPPUNIT_TEST(testReplacePasswordHashOnlyReplacesTheHashItWasGiven);
  CPPUNIT_TEST(testDeleteRemovesTheUserAndRevokesAllTheirTokens);
  CPPUNIT_TEST(testDeleteLeavesOtherUsersAndTheirTokens);
  CPPUNIT_TEST(testEveryUserGetsADifferentRandomId);
  CPPUNIT_TEST(testANameDeletedAndAddedAgainIsANewUserWhomOldTokensMiss);
  CPPUNIT_TEST(testDeleteTakesTheNameAndTheRecordTogether);
  CPPUNIT_TEST(testANameLeftByAHalfDoneDeleteIsFreeForANewUser);
  CPPUNIT_TEST(testARecordNoNameNamesIsNotAUser);
  CPPUNIT_TEST(testUsersMadeBeforeRandomIdsKeepTheirIds);
  CPPUNIT_TEST(testTheMigrationWalksEveryScanStepAndRunsOnce);
  CPPUNIT_TEST(testTheMigrationNeverTakesANameFromItsUser);
  CPPUNIT_TEST(testDeletingAnAbsentUserIsNotFound);
  CPPUNIT_TEST(testListNamesIsSorted);
  CPPUNIT_TEST(testPipelineReturnsEveryReplyInOrder);
  CPPUNIT_TEST(testTransactionReturnsTheExecResults);
  CPPUNIT_TEST(testPrefetchedReplyRidesWithTheNextRoundTripAndIsUsedOnce);
  CPPUNIT_TEST(testPrefetchedErrorIsNotKeptNorTheCallersError);
  CPPUNIT_TEST(testAPrefetchedCommandTheCallerSendsItselfRunsOnce);
  CPPUNIT_TEST(testPrefetchedScriptGoesByHashAndDroppedRepliesAreForgotten);
  CPPUNIT_TEST(testRedisErrorReplyIsInternalAndTheConnectionStaysUsable);
  CPPUNIT_TEST(testMissingSocketIsServiceUnavailableWithoutHanging);
  CPPUNIT_TEST(testStoresReportServiceUnavailableWhenRedisIsDown);
  CPPUNIT_TEST(testSlowCommandIsServiceUnavailableWithoutHanging);
  CPPUNIT_TEST(testReconnectsByItselfAfterTheServerRestarts);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    // The daemon's workers ignore SIGPIPE (worker_pool.cpp); so must a
    // process that writes to a Redis that went away.
    signal(SIGPIPE, SIG_IGN);
    dir_.Create("tokend-store-test");
    server_.Start(dir_.path());
    config_.redis = "unix:" + server_.socket();
    config_.redis_connect_timeout_ms = 300;
    config_.redis_command_timeout_ms = 1000;
    redis_ = std::make_unique<RedisClient>(config_);
  }

  void tearDown() override {
    redis_.reset();
    server_.Stop();
    dir_.Remove();
  }

  // --- TokenStore ---------------------------------------------------------

  void testAddedTokenIsLive() {
    TokenStore tokens(redis_.get());
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"nonce-a", Now() + 3600}, 1000));
    bool live = false;
    live = RecordExists(kAlice, "nonce-a");
    CPPUNIT_ASSERT(live);
  }

  void testAddingATokenSkipsTheBarrierRevokingOneReadWaitsForIt() {
    // An added token's record has a fresh nonce no cache can hold, and the
    // list is never cached; a revoke changes a record caches may hold: it
    // waits for the invalidations when one read it (and marked it).
    TokenStore tokens(redis_.get());
    bool revoked = false;
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"nonce-a", Now() + 3600}, 1000));
    ASSERT_OK(tokens.Revoke(kAlice, "nonce-a", &revoked));  // scripts loaded
    const long long before = PingCalls();
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"nonce-b", Now() + 3600}, 1000));
    CPPUNIT_ASSERT_EQUAL(before, PingCalls());
    ASSERT_OK(tokens.Revoke(kAlice, "nonce-b", &revoked));
    CPPUNIT_ASSERT(revoked);
    CPPUNIT_ASSERT_EQUAL(before, PingCalls());  // nobody read it
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"nonce-c", Now() + 3600}, 1000));
    CPPUNIT_ASSERT(RecordExists(kAlice, "nonce-c"));  // a token check
    ASSERT_OK(tokens.Revoke(kAlice, "nonce-c", &revoked));
    CPPUNIT_ASSERT(revoked);
    CPPUNIT_ASSERT_EQUAL(before + 1, PingCalls());
    CPPUNIT_ASSERT(!RecordExists(kAlice, "nonce-c"));
  }

  void testTokenOwnerIsFoundOnlyWhileRecordAndUserExist() {
    TokenStore tokens(redis_.get());
    UserStore users(redis_.get());
    UserRecord alice;
    ASSERT_OK(users.Add("alice", "$pbkdf2-sha256$1000$c2FsdA$aGFzaA", &alice));
    ASSERT_OK(tokens.Add(alice.id, StoredToken{"n1", Now() + 3600}, 1000));
    UserRecord owner;
    bool found = false;
    ASSERT_OK(users.FindTokenOwner(alice.id, "n1", &owner, &found));
    CPPUNIT_ASSERT(found);
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), owner.name);
    CPPUNIT_ASSERT_EQUAL(alice.id, owner.id);

    found = true;
    ASSERT_OK(users.FindTokenOwner(alice.id, "n2", &owner, &found));
    CPPUNIT_ASSERT(!found);  // no such record

    bool revoked = false;
    ASSERT_OK(tokens.Revoke(alice.id, "n1", &revoked));
    found = true;
    ASSERT_OK(users.FindTokenOwner(alice.id, "n1", &owner, &found));
    CPPUNIT_ASSERT(!found);  // revoked

    ASSERT_OK(tokens.Add(alice.id, StoredToken{"n3", Now() + 3600}, 1000));
    CPPUNIT_ASSERT_EQUAL(1LL, Integer({"DEL", UserKey(alice.id)}));
    found = true;
    ASSERT_OK(users.FindTokenOwner(alice.id, "n3", &owner, &found));
    CPPUNIT_ASSERT(!found);  // record there, user gone
  }

  void testUnknownTokenIsNotLive() {
    TokenStore tokens(redis_.get());
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"nonce-a", Now() + 3600}, 1000));
    bool live = true;
    live = RecordExists(kAlice, "nonce-b");
    CPPUNIT_ASSERT(!live);
    live = true;
    live = RecordExists(kBob, "nonce-a");  // right nonce, wrong user
    CPPUNIT_ASSERT(!live);
  }

  void testListsTokensNewestFirst() {
    TokenStore tokens(redis_.get());
    const int64_t now = Now();
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"first", now + 100}, 1000));
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"third", now + 300}, 3000));
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"second", now + 200}, 2000));
    std::vector<StoredToken> listed;
    ASSERT_OK(tokens.List(kAlice, &listed));
    CPPUNIT_ASSERT_EQUAL(size_t{3}, listed.size());
    CPPUNIT_ASSERT_EQUAL(std::string("third"), listed[0].nonce);
    CPPUNIT_ASSERT_EQUAL(now + 300, listed[0].expires_at);
    CPPUNIT_ASSERT_EQUAL(std::string("second"), listed[1].nonce);
    CPPUNIT_ASSERT_EQUAL(now + 200, listed[1].expires_at);
    CPPUNIT_ASSERT_EQUAL(std::string("first"), listed[2].nonce);
    CPPUNIT_ASSERT_EQUAL(now + 100, listed[2].expires_at);
  }

  void testListOfUserWithoutTokensIsEmpty() {
    TokenStore tokens(redis_.get());
    std::vector<StoredToken> listed = {StoredToken{"stale", 1}};
    ASSERT_OK(tokens.List(kAlice, &listed));
    CPPUNIT_ASSERT(listed.empty());
  }

  void testTokensOfOneUserAreInvisibleToAnother() {
    TokenStore tokens(redis_.get());
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"alice-token", Now() + 3600}, 1));
    ASSERT_OK(tokens.Add(kBob, StoredToken{"bob-token", Now() + 3600}, 2));
    std::vector<StoredToken> listed;
    ASSERT_OK(tokens.List(kBob, &listed));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, listed.size());
    CPPUNIT_ASSERT_EQUAL(std::string("bob-token"), listed[0].nonce);
    bool revoked = true;
    ASSERT_OK(tokens.Revoke(kBob, "alice-token", &revoked));
    CPPUNIT_ASSERT(!revoked);
    bool live = false;
    live = RecordExists(kAlice, "alice-token");
    CPPUNIT_ASSERT(live);
  }

  void testRevokeDeletesTheTokenAndASecondRevokeFindsNothing() {
    TokenStore tokens(redis_.get());
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"nonce-a", Now() + 3600}, 1000));
    bool revoked = false;
    ASSERT_OK(tokens.Revoke(kAlice, "nonce-a", &revoked));
    CPPUNIT_ASSERT(revoked);
    bool live = true;
    live = RecordExists(kAlice, "nonce-a");
    CPPUNIT_ASSERT(!live);
    std::vector<StoredToken> listed;
    ASSERT_OK(tokens.List(kAlice, &listed));
    CPPUNIT_ASSERT(listed.empty());
    CPPUNIT_ASSERT_EQUAL(
        0LL, Integer({"EXISTS", TokenRecordKey(kAlice, "nonce-a")}));

    ASSERT_OK(tokens.Revoke(kAlice, "nonce-a", &revoked));
    CPPUNIT_ASSERT(!revoked);
    revoked = true;
    ASSERT_OK(tokens.Revoke(kAlice, "never-issued", &revoked));
    CPPUNIT_ASSERT(!revoked);
  }

  void testRevokeLeavesTheOtherTokens() {
    TokenStore tokens(redis_.get());
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"keep", Now() + 3600}, 1));
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"drop", Now() + 3600}, 2));
    bool revoked = false;
    ASSERT_OK(tokens.Revoke(kAlice, "drop", &revoked));
    CPPUNIT_ASSERT(revoked);
    std::vector<StoredToken> listed;
    ASSERT_OK(tokens.List(kAlice, &listed));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, listed.size());
    CPPUNIT_ASSERT_EQUAL(std::string("keep"), listed[0].nonce);
  }

  void testGuardedWritesRunOnlyWhileEveryGuardKeyExists() {
    TokenStore tokens(redis_.get());
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"caller", Now() + 3600}, 1));
    WriteGuard guard;
    guard.keys = {TokenRecordKey(kAlice, "caller"), TokenListKey(kAlice)};
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"made", Now() + 3600}, 2, 1000, &guard));
    CPPUNIT_ASSERT(guard.checked && guard.held);
    CPPUNIT_ASSERT(RecordExists(kAlice, "made"));

    // One guard key gone: neither write changes anything.
    guard = WriteGuard();
    guard.keys = {TokenRecordKey(kAlice, "caller"), TokenRecordKey(kAlice, "gone")};
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"refused", Now() + 3600}, 3, 1000, &guard));
    CPPUNIT_ASSERT(guard.checked && !guard.held);
    CPPUNIT_ASSERT(!RecordExists(kAlice, "refused"));
    guard.checked = false;
    guard.held = true;
    bool revoked = true;
    ASSERT_OK(tokens.Revoke(kAlice, "made", &revoked, &guard));
    CPPUNIT_ASSERT(guard.checked && !guard.held);
    CPPUNIT_ASSERT(!revoked);
    CPPUNIT_ASSERT(RecordExists(kAlice, "made"));
    std::vector<StoredToken> listed;
    ASSERT_OK(tokens.List(kAlice, &listed));
    CPPUNIT_ASSERT_EQUAL(size_t{2}, listed.size());

    // A guard on the very record being revoked holds: a token deletes itself.
    guard = WriteGuard();
    guard.keys = {TokenRecordKey(kAlice, "caller")};
    ASSERT_OK(tokens.Revoke(kAlice, "caller", &revoked, &guard));
    CPPUNIT_ASSERT(guard.checked && guard.held && revoked);
    CPPUNIT_ASSERT(!RecordExists(kAlice, "caller"));
  }

  void testPasswordGuardedWritesRunOnlyWhileTheUserHasThatHash() {
    UserStore users(redis_.get());
    UserRecord alice;
    ASSERT_OK(users.Add("alice", "$first", &alice));
    TokenStore tokens(redis_.get());
    auto guard_for = [&](const std::string& name, const std::string& hash) {
      WriteGuard guard;
      guard.keys = {UserKey(alice.id)};
      guard.user_fingerprint = UserFingerprint(name, hash);
      return guard;
    };
    // The script computes the same fingerprint, and the hash itself is not
    // among its arguments.
    WriteGuard guard = guard_for("alice", "$first");
    CPPUNIT_ASSERT(guard.user_fingerprint.find("$first") == std::string::npos);
    ASSERT_OK(tokens.Add(alice.id, StoredToken{"made", Now() + 3600}, 1, 1000, &guard));
    CPPUNIT_ASSERT(guard.checked && guard.held);
    CPPUNIT_ASSERT(RecordExists(alice.id, "made"));

    // Another hash (a prefix of the stored one too), or another name (the
    // same bytes split elsewhere too), does not hold.
    const std::pair<const char*, const char*> others[] = {
        {"alice", "$firs"}, {"alice", "$first2"}, {"alice", "$second"},
        {"alicf", "$first"}, {"alic", "e$first"}, {"", "alice$first"}};
    for (const auto& other : others) {
      guard = guard_for(other.first, other.second);
      ASSERT_OK(tokens.Add(alice.id, StoredToken{"refused", Now() + 3600}, 2, 1000, &guard));
      CPPUNIT_ASSERT_MESSAGE(other.second, guard.checked && !guard.held);
      CPPUNIT_ASSERT_MESSAGE(other.second, !RecordExists(alice.id, "refused"));
    }

    // A new password: the old hash no longer holds, for a revoke either.
    ASSERT_OK(users.SetPasswordHash("alice", "$second"));
    guard = guard_for("alice", "$first");
    bool revoked = true;
    ASSERT_OK(tokens.Revoke(alice.id, "made", &revoked, &guard));
    CPPUNIT_ASSERT(guard.checked && !guard.held && !revoked);
    CPPUNIT_ASSERT(RecordExists(alice.id, "made"));
    guard = guard_for("alice", "$second");
    ASSERT_OK(tokens.Revoke(alice.id, "made", &revoked, &guard));
    CPPUNIT_ASSERT(guard.checked && guard.held && revoked);
    CPPUNIT_ASSERT(!RecordExists(alice.id, "made"));

    // The user gone: nothing holds.
    ASSERT_OK(users.Delete("alice"));
    guard = guard_for("alice", "$second");
    ASSERT_OK(tokens.Add(alice.id, StoredToken{"late", Now() + 3600}, 3, 1000, &guard));
    CPPUNIT_ASSERT(guard.checked && !guard.held);
    CPPUNIT_ASSERT(!RecordExists(alice.id, "late"));
  }

  void testRecordTtlEqualsExpiryMinusNow() {
    TokenStore tokens(redis_.get());
    const int64_t now = Now();
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"nonce-a", now + 1000}, 1));
    long long ttl = Integer({"TTL", TokenRecordKey(kAlice, "nonce-a")});
    // The clock may tick between Now() above and the TTL command.
    CPPUNIT_ASSERT_MESSAGE(std::to_string(ttl), ttl >= 998 && ttl <= 1000);
    // Redis's own deadline is the expiry exactly; the value is "1", a
    // shared object in Redis (the expiry as value cost 16 bytes a token).
    CPPUNIT_ASSERT_EQUAL(
        static_cast<long long>(now + 1000),
        Integer({"EXPIRETIME", TokenRecordKey(kAlice, "nonce-a")}));
    RedisReply value;
    ASSERT_OK(redis_->Run({"GET", TokenRecordKey(kAlice, "nonce-a")}, &value));
    CPPUNIT_ASSERT_EQUAL(std::string("1"), value.text);
  }

  void testListTakesTheExpiryFromTheMemberAndDropsTheRest() {
    TokenStore tokens(redis_.get());
    const int64_t now = Now();
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"kept", now + 500}, 5));
    RedisReply members;
    ASSERT_OK(redis_->Run({"ZRANGE", TokenListKey(kAlice), "0", "-1"}, &members));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, members.elements.size());
    CPPUNIT_ASSERT_EQUAL("kept:" + std::to_string(now + 500),
                         members.elements[0].text);
    // A bare nonce (lists before the expiry joined the member) and a member
    // whose expiry has passed are not listed, and the read removes them.
    RedisReply reply;
    ASSERT_OK(redis_->Run({"ZADD", TokenListKey(kAlice), "2", "older"}, &reply));
    ASSERT_OK(redis_->Run({"ZADD", TokenListKey(kAlice), "3",
                           TokenListMember("gone", now - 1)},
                          &reply));
    std::vector<StoredToken> listed;
    ASSERT_OK(tokens.List(kAlice, &listed));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, listed.size());
    CPPUNIT_ASSERT_EQUAL(std::string("kept"), listed[0].nonce);
    CPPUNIT_ASSERT_EQUAL(now + 500, listed[0].expires_at);
    CPPUNIT_ASSERT_EQUAL(1LL, Integer({"ZCARD", TokenListKey(kAlice)}));
  }

  void testListMembersParseBackOnlyWhenWellFormed() {
    std::string nonce;
    int64_t expires_at = 0;
    CPPUNIT_ASSERT(ParseTokenListMember(TokenListMember("n-_A", 1700000000),
                                        &nonce, &expires_at));
    CPPUNIT_ASSERT_EQUAL(std::string("n-_A"), nonce);
    CPPUNIT_ASSERT_EQUAL(int64_t{1700000000}, expires_at);
    for (const char* bad : {"", "nonce", ":17", "nonce:", "nonce:17x",
                            "nonce:-17", "nonce:1234567890123456789"}) {
      CPPUNIT_ASSERT_MESSAGE(bad, !ParseTokenListMember(bad, &nonce, &expires_at));
    }
  }

  void testTokenListLivesAsLongAsItsLongestLivedToken() {
    TokenStore tokens(redis_.get());
    const int64_t now = Now();
    const std::string list = TokenListKey(kAlice);
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"short", now + 100}, 1));
    CPPUNIT_ASSERT_EQUAL(static_cast<long long>(now + 100),
                         Integer({"EXPIRETIME", list}));
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"long", now + 5000}, 2));
    CPPUNIT_ASSERT_EQUAL(static_cast<long long>(now + 5000),
                         Integer({"EXPIRETIME", list}));
    // A shorter-lived token never shortens the list's life.
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"shorter", now + 50}, 3));
    CPPUNIT_ASSERT_EQUAL(static_cast<long long>(now + 5000),
                         Integer({"EXPIRETIME", list}));
  }

  void testExpiredRecordsDisappearFromTheList() {
    TokenStore tokens(redis_.get());
    const int64_t now = Now();
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"fleeting", now + 1}, 1));
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"lasting", now + 3600}, 2));
    std::this_thread::sleep_for(std::chrono::milliseconds(2200));
    bool live = true;
    live = RecordExists(kAlice, "fleeting");
    CPPUNIT_ASSERT(!live);
    std::vector<StoredToken> listed;
    ASSERT_OK(tokens.List(kAlice, &listed));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, listed.size());
    CPPUNIT_ASSERT_EQUAL(std::string("lasting"), listed[0].nonce);
    // Reading the list pruned the dead entry from the index too.
    CPPUNIT_ASSERT_EQUAL(1LL, Integer({"ZCARD", TokenListKey(kAlice)}));
    // An expired token cannot be revoked: there is nothing left to delete.
    bool revoked = true;
    ASSERT_OK(tokens.Revoke(kAlice, "fleeting", &revoked));
    CPPUNIT_ASSERT(!revoked);
  }

  void testRefusesATokenBeyondTheUsersLimit() {
    TokenStore tokens(redis_.get());
    const int64_t expiry = Now() + 3600;
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"a", expiry}, 1, 2));
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"b", expiry}, 2, 2));
    Status status = tokens.Add(kAlice, StoredToken{"c", expiry}, 3, 2);
    ASSERT_CODE(Code::kForbidden, status);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, status.details().size());
    CPPUNIT_ASSERT_EQUAL(std::string("limit"), status.details()[0].key);
    CPPUNIT_ASSERT_EQUAL(std::string("2"), status.details()[0].value);
    // Nothing of the refused token was stored.
    bool live = true;
    live = RecordExists(kAlice, "c");
    CPPUNIT_ASSERT(!live);
    std::vector<StoredToken> listed;
    ASSERT_OK(tokens.List(kAlice, &listed));
    CPPUNIT_ASSERT_EQUAL(size_t{2}, listed.size());
  }

  void testRevokingMakesRoomUnderTheLimit() {
    TokenStore tokens(redis_.get());
    const int64_t expiry = Now() + 3600;
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"a", expiry}, 1, 1));
    ASSERT_CODE(Code::kForbidden,
                tokens.Add(kAlice, StoredToken{"b", expiry}, 2, 1));
    bool revoked = false;
    ASSERT_OK(tokens.Revoke(kAlice, "a", &revoked));
    CPPUNIT_ASSERT(revoked);
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"b", expiry}, 3, 1));
  }

  void testTokensRedisForgotDoNotCountAgainstTheLimit() {
    TokenStore tokens(redis_.get());
    const int64_t expiry = Now() + 3600;
    // What the list holds once "a" reached its deadline (and Redis dropped
    // its record), without waiting for it.
    RedisReply reply;
    ASSERT_OK(redis_->Run({"ZADD", TokenListKey(kAlice), "1",
                           TokenListMember("a", Now() - 1)},
                          &reply));
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"b", expiry}, 2, 2));
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"c", expiry}, 3, 2));
    std::vector<StoredToken> listed;
    ASSERT_OK(tokens.List(kAlice, &listed));
    CPPUNIT_ASSERT_EQUAL(size_t{2}, listed.size());
    CPPUNIT_ASSERT_EQUAL(std::string("c"), listed[0].nonce);
    CPPUNIT_ASSERT_EQUAL(std::string("b"), listed[1].nonce);
  }

  void testLimitCountsOnlyTheUsersOwnTokens() {
    TokenStore tokens(redis_.get());
    const int64_t expiry = Now() + 3600;
    ASSERT_OK(tokens.Add(kBob, StoredToken{"b1", expiry}, 1, 1));
    ASSERT_OK(tokens.Add(kAlice, StoredToken{"a1", expiry}, 2, 1));
    ASSERT_CODE(Code::kForbidden,
                tokens.Add(kBob, StoredToken{"b2", expiry}, 3, 1));
  }

  // --- UserStore ------------------------------------------------------------

  void testAddsUserAndFindsItByNameAndById() {
    UserStore users(redis_.get());
    UserRecord created;
    ASSERT_OK(
        users.Add("alice", "$pbkdf2-sha256$1000$c2FsdA$aGFzaA", &created));
    // A random id, not the digest of the name that ids once were.
    CPPUNIT_ASSERT(IsHexId(created.id));
    CPPUNIT_ASSERT(created.id != UserNameDigest("alice"));
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), created.name);
    CPPUNIT_ASSERT_EQUAL(std::string("$pbkdf2-sha256$1000$c2FsdA$aGFzaA"),
                         created.password_hash);

    UserRecord by_name;
    bool found = false;
    ASSERT_OK(users.FindByName("alice", &by_name, &found));
    CPPUNIT_ASSERT(found);
    CPPUNIT_ASSERT_EQUAL(created.id, by_name.id);
    CPPUNIT_ASSERT_EQUAL(created.name, by_name.name);
    CPPUNIT_ASSERT_EQUAL(created.password_hash, by_name.password_hash);

    UserRecord by_id;
    found = false;
    ASSERT_OK(users.FindById(created.id, &by_id, &found));
    CPPUNIT_ASSERT(found);
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), by_id.name);
    CPPUNIT_ASSERT_EQUAL(created.password_hash, by_id.password_hash);
  }

  void testAddingATakenNameIsAlreadyExists() {
    UserStore users(redis_.get());
    UserRecord created;
    ASSERT_OK(users.Add("alice", "$first", &created));
    Status status = users.Add("alice", "$second", &created);
    ASSERT_CODE(Code::kAlreadyExists, status);
    // The first user's password is untouched.
    UserRecord found_user;
    bool found = false;
    ASSERT_OK(users.FindByName("alice", &found_user, &found));
    CPPUNIT_ASSERT(found);
    CPPUNIT_ASSERT_EQUAL(std::string("$first"), found_user.password_hash);
  }

  void testFindingAnAbsentUserIsOkButNotFound() {
    UserStore users(redis_.get());
    UserRecord created;
    ASSERT_OK(users.Add("alice", "$h", &created));
    UserRecord user;
    bool found = true;
    ASSERT_OK(users.FindByName("bob", &user, &found));
    CPPUNIT_ASSERT(!found);
    found = true;
    ASSERT_OK(users.FindByName("Alice", &user, &found));
    CPPUNIT_ASSERT(!found);
    found = true;
    ASSERT_OK(users.FindById(UserNameDigest("bob"), &user, &found));
    CPPUNIT_ASSERT(!found);
  }

  void testSetPasswordHashReplacesTheHash() {
    UserStore users(redis_.get());
    UserRecord created;
    ASSERT_OK(users.Add("alice", "$old", &created));
    ASSERT_OK(users.SetPasswordHash("alice", "$new"));
    UserRecord user;
    bool found = false;
    ASSERT_OK(users.FindByName("alice", &user, &found));
    CPPUNIT_ASSERT(found);
    CPPUNIT_ASSERT_EQUAL(std::string("$new"), user.password_hash);
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), user.name);
  }

  void testReplacePasswordHashOnlyReplacesTheHashItWasGiven() {
    UserStore users(redis_.get());
    UserRecord alice;
    ASSERT_OK(users.Add("alice", "$pbkdf2-old", &alice));
    auto stored = [&users]() {
      UserRecord user;
      bool found = false;
      Status status = users.FindByName("alice", &user, &found);
      return status.ok() && found ? user.password_hash : std::string("(none)");
    };
    // A password change between the check and the upgrade wins.
    ASSERT_OK(users.SetPasswordHash("alice", "$changed"));
    bool replaced = true;
    ASSERT_OK(users.ReplacePasswordHash(alice, "$argon2-new", &replaced));
    CPPUNIT_ASSERT(!replaced);
    CPPUNIT_ASSERT_EQUAL(std::string("$changed"), stored());
    // With the hash it was given, it replaces it.
    alice.password_hash = "$changed";
    ASSERT_OK(users.ReplacePasswordHash(alice, "$argon2-new", &replaced));
    CPPUNIT_ASSERT(replaced);
    CPPUNIT_ASSERT_EQUAL(std::string("$argon2-new"), stored());
    // Another name with the same id never matches, nor a deleted user,
    // which is not brought back.
    UserRecord impostor = alice;
    impostor.name = "alicf";
    impostor.password_hash = "$argon2-new";
    ASSERT_OK(users.ReplacePasswordHash(impostor, "$x", &replaced));
    CPPUNIT_ASSERT(!replaced);
    ASSERT_OK(users.Delete("alice"));
    alice.password_hash = "$argon2-new";
    ASSERT_OK(users.ReplacePasswordHash(alice, "$x", &replaced));
    CPPUNIT_ASSERT(!replaced);
    CPPUNIT_ASSERT_EQUAL(std::string("(none)"), stored());
    RedisReply reply;
    ASSERT_OK(redis_->Run({"EXISTS", UserKey(alice.id)}, &reply));
    CPPUNIT_ASSERT_EQUAL(0LL, reply.integer);
  }

  void testSetPasswordHashOfAbsentUserIsNotFound() {
    UserStore users(redis_.get());
    ASSERT_CODE(Code::kNotFound, users.SetPasswordHash("nobody", "$h"));
    // And it did not create the user on the way.
    UserRecord user;
    bool found = true;
    ASSERT_OK(users.FindByName("nobody", &user, &found));
    CPPUNIT_ASSERT(!found);
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", UserNameKey("nobody")}));
    RedisReply records;
    ASSERT_OK(redis_->Run({"KEYS", "oz:{*}:user"}, &records));
    CPPUNIT_ASSERT_EQUAL(size_t{0}, records.elements.size());
  }

  void testDeleteRemovesTheUserAndRevokesAllTheirTokens() {
    UserStore users(redis_.get());
    TokenStore tokens(redis_.get());
    UserRecord alice;
    ASSERT_OK(users.Add("alice", "$h", &alice));
    const std::vector<std::string> nonces = {"n1", "n2", "n3", "bare"};
    for (size_t i = 0; i + 1 < nonces.size(); ++i) {
      ASSERT_OK(tokens.Add(alice.id, StoredToken{nonces[i], Now() + 3600},
                           static_cast<int64_t>(i)));
    }
    // A token listed the way lists were before members carried the expiry.
    RedisReply reply;
    ASSERT_OK(redis_->Run({"SET", TokenRecordKey(alice.id, "bare"), "1", "EX",
                           "3600"},
                          &reply));
    ASSERT_OK(redis_->Run({"ZADD", TokenListKey(alice.id), "9", "bare"}, &reply));
    ASSERT_OK(users.Delete("alice"));

    UserRecord user;
    bool found = true;
    ASSERT_OK(users.FindByName("alice", &user, &found));
    CPPUNIT_ASSERT(!found);
    for (const std::string& nonce : nonces) {
      bool live = true;
      live = RecordExists(alice.id, nonce);
      CPPUNIT_ASSERT(!live);
      CPPUNIT_ASSERT_EQUAL(
          0LL, Integer({"EXISTS", TokenRecordKey(alice.id, nonce)}));
    }
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", TokenListKey(alice.id)}));
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", UserKey(alice.id)}));
    // No key of the user is left at all (records included: "oz:{uid}*",
    // as their keys have no ':' after the hash tag).
    RedisReply left;
    ASSERT_OK(redis_->Run({"KEYS", "oz:{" + alice.id + "}*"}, &left));
    CPPUNIT_ASSERT_EQUAL(size_t{0}, left.elements.size());
    std::vector<std::string> names;
    ASSERT_OK(users.ListNames(&names));
    CPPUNIT_ASSERT(names.empty());
  }

  void testEveryUserGetsADifferentRandomId() {
    UserStore users(redis_.get());
    std::set<std::string> ids;
    for (int i = 0; i < 20; ++i) {
      UserRecord created;
      ASSERT_OK(users.Add("user" + std::to_string(i), "$h", &created));
      CPPUNIT_ASSERT(IsHexId(created.id));
      ids.insert(created.id);
      CPPUNIT_ASSERT_EQUAL(created.id, Text({"GET", UserNameKey(created.name)}));
    }
    CPPUNIT_ASSERT_EQUAL(size_t{20}, ids.size());
  }

  void testANameDeletedAndAddedAgainIsANewUserWhomOldTokensMiss() {
    UserStore users(redis_.get());
    TokenStore tokens(redis_.get());
    UserRecord before;
    ASSERT_OK(users.Add("alice", "$h", &before));
    ASSERT_OK(tokens.Add(before.id, StoredToken{"old", Now() + 3600}, 1));
    ASSERT_OK(users.Delete("alice"));
    UserRecord after;
    ASSERT_OK(users.Add("alice", "$h", &after));
    CPPUNIT_ASSERT(after.id != before.id);
    // A create that raced the delete leaves the old token's record behind:
    // it still leads to no one.
    RedisReply reply;
    ASSERT_OK(redis_->Run({"SET", TokenRecordKey(before.id, "old"), "1", "EX",
                           "3600"},
                          &reply));
    UserRecord owner;
    bool found = true;
    ASSERT_OK(users.FindTokenOwner(before.id, "old", &owner, &found));
    CPPUNIT_ASSERT(!found);
    found = true;
    ASSERT_OK(users.FindById(before.id, &owner, &found));
    CPPUNIT_ASSERT(!found);
    found = false;
    ASSERT_OK(users.FindByName("alice", &owner, &found));
    CPPUNIT_ASSERT(found);
    CPPUNIT_ASSERT_EQUAL(after.id, owner.id);
  }

  void testDeleteTakesTheNameAndTheRecordTogether() {
    UserStore users(redis_.get());
    UserRecord alice;
    ASSERT_OK(users.Add("alice", "$h", &alice));
    ASSERT_OK(users.Delete("alice"));
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", UserNameKey("alice")}));
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", UserKey(alice.id)}));
    ASSERT_CODE(Code::kNotFound, users.Delete("alice"));
  }

  // A delete that stopped after the record (the name key still names the
  // id): the user is gone, and the name is free for a new one.
  void testANameLeftByAHalfDoneDeleteIsFreeForANewUser() {
    UserStore users(redis_.get());
    UserRecord alice;
    ASSERT_OK(users.Add("alice", "$h", &alice));
    CPPUNIT_ASSERT_EQUAL(1LL, Integer({"DEL", UserKey(alice.id)}));
    UserRecord found;
    bool exists = true;
    ASSERT_OK(users.FindByName("alice", &found, &exists));
    CPPUNIT_ASSERT(!exists);
    std::vector<std::string> names = {"stale"};
    ASSERT_OK(users.ListNames(&names));
    CPPUNIT_ASSERT(names.empty());
    UserRecord again;
    ASSERT_OK(users.Add("alice", "$h2", &again));
    CPPUNIT_ASSERT(again.id != alice.id);
    ASSERT_OK(users.FindByName("alice", &found, &exists));
    CPPUNIT_ASSERT(exists);
    CPPUNIT_ASSERT_EQUAL(again.id, found.id);
    ASSERT_CODE(Code::kAlreadyExists, users.Add("alice", "$h3", &found));
  }

  // An add that stopped after the record (no name key names it): nobody
  // reaches it, and the listing leaves it out.
  void testARecordNoNameNamesIsNotAUser() {
    UserStore users(redis_.get());
    UserRecord bob;
    ASSERT_OK(users.Add("bob", "$h", &bob));  // past the one-time migration
    const std::string orphan = "0123456789abcdef0123456789abcdef";
    CPPUNIT_ASSERT_EQUAL(2LL, Integer({"HSET", UserKey(orphan), "name", "ghost", "pw", "$h"}));
    std::vector<std::string> names;
    ASSERT_OK(users.ListNames(&names));
    CPPUNIT_ASSERT(names == std::vector<std::string>{"bob"});
    UserRecord ghost;
    ASSERT_OK(users.Add("ghost", "$h", &ghost));
    CPPUNIT_ASSERT(ghost.id != orphan);
    ASSERT_OK(users.ListNames(&names));
    CPPUNIT_ASSERT((names == std::vector<std::string>{"bob", "ghost"}));
  }

  // What a version before random ids left: the record under the digest of
  // the name, in the names set, and no name key.
  void AddUserTheFormerWay(const std::string& name) {
    std::vector<RedisReply> replies;
    ASSERT_OK(redis_->Pipeline(
        {{"HSET", UserKey(UserNameDigest(name)), "name", name, "pw", "$old"},
         {"SADD", FormerUserNamesKey(), name}},
        &replies));
  }

  void testUsersMadeBeforeRandomIdsKeepTheirIds() {
    AddUserTheFormerWay("carol");
    AddUserTheFormerWay("dave");
    TokenStore tokens(redis_.get());
    ASSERT_OK(tokens.Add(UserNameDigest("carol"),
                         StoredToken{"kept", Now() + 3600}, 1));
    UserStore users(redis_.get());
    UserRecord carol;
    bool found = false;
    ASSERT_OK(users.FindByName("carol", &carol, &found));
    CPPUNIT_ASSERT(found);
    CPPUNIT_ASSERT_EQUAL(UserNameDigest("carol"), carol.id);
    CPPUNIT_ASSERT_EQUAL(std::string("$old"), carol.password_hash);
    UserRecord owner;
    found = false;
    ASSERT_OK(users.FindTokenOwner(carol.id, "kept", &owner, &found));
    CPPUNIT_ASSERT(found);
    CPPUNIT_ASSERT_EQUAL(UserNameDigest("dave"),
                         Text({"GET", UserNameKey("dave")}));
    CPPUNIT_ASSERT_EQUAL(1LL, Integer({"EXISTS", UserIdsMigratedKey()}));
    // Deleted and added again, carol is a new user.
    ASSERT_OK(users.Delete("carol"));
    UserRecord again;
    ASSERT_OK(users.Add("carol", "$new", &again));
    CPPUNIT_ASSERT(again.id != carol.id);
    found = true;
    ASSERT_OK(users.FindTokenOwner(carol.id, "kept", &owner, &found));
    CPPUNIT_ASSERT(!found);
  }

  void testTheMigrationWalksEveryScanStepAndRunsOnce() {
    // More records than one SCAN step looks at, among other keys.
    const int kUsers = 2500;
    std::vector<RedisCommand> writes;
    for (int i = 0; i < kUsers; ++i) {
      std::string name = "former" + std::to_string(i);
      writes.push_back({"HSET", UserKey(UserNameDigest(name)), "name", name,
                        "pw", "$old"});
      writes.push_back({"SET", TokenRecordKey(UserNameDigest(name), "t"), "1"});
    }
    std::vector<RedisReply> replies;
    ASSERT_OK(redis_->Pipeline(writes, &replies));
    size_t adopted = 0;
    ASSERT_OK(MigrateUserIds(redis_.get(), &adopted));
    CPPUNIT_ASSERT_EQUAL(size_t{kUsers}, adopted);
    RedisReply keys;
    ASSERT_OK(redis_->Run({"KEYS", "oz:{n:*}:id"}, &keys));
    CPPUNIT_ASSERT_EQUAL(size_t{kUsers}, keys.elements.size());
    CPPUNIT_ASSERT_EQUAL(UserNameDigest("former1234"),
                         Text({"GET", UserNameKey("former1234")}));
    // Once done, it is done: a record of the former kind written later is
    // not looked for again.
    AddUserTheFormerWay("late");
    ASSERT_OK(MigrateUserIds(redis_.get(), &adopted));
    CPPUNIT_ASSERT_EQUAL(size_t{0}, adopted);
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", UserNameKey("late")}));
  }

  void testTheMigrationNeverTakesANameFromItsUser() {
    // "erin" is a user of today (random id); a stray record of the former
    // kind with the same name must not take the name over.
    UserStore users(redis_.get());
    UserRecord erin;
    ASSERT_OK(users.Add("erin", "$now", &erin));
    RedisReply reply;
    ASSERT_OK(redis_->Run({"DEL", UserIdsMigratedKey()}, &reply));
    AddUserTheFormerWay("erin");
    size_t adopted = 0;
    ASSERT_OK(MigrateUserIds(redis_.get(), &adopted));
    CPPUNIT_ASSERT_EQUAL(size_t{0}, adopted);
    CPPUNIT_ASSERT_EQUAL(erin.id, Text({"GET", UserNameKey("erin")}));
  }

  void testDeleteLeavesOtherUsersAndTheirTokens() {
    UserStore users(redis_.get());
    TokenStore tokens(redis_.get());
    UserRecord alice, bob;
    ASSERT_OK(users.Add("alice", "$a", &alice));
    ASSERT_OK(users.Add("bob", "$b", &bob));
    ASSERT_OK(
        tokens.Add(alice.id, StoredToken{"alice-token", Now() + 3600}, 1));
    ASSERT_OK(tokens.Add(bob.id, StoredToken{"bob-token", Now() + 3600}, 2));
    ASSERT_OK(users.Delete("alice"));

    UserRecord user;
    bool found = false;
    ASSERT_OK(users.FindByName("bob", &user, &found));
    CPPUNIT_ASSERT(found);
    bool live = false;
    live = RecordExists(bob.id, "bob-token");
    CPPUNIT_ASSERT(live);
    std::vector<std::string> names;
    ASSERT_OK(users.ListNames(&names));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, names.size());
    CPPUNIT_ASSERT_EQUAL(std::string("bob"), names[0]);
  }

  void testDeletingAnAbsentUserIsNotFound() {
    UserStore users(redis_.get());
    ASSERT_CODE(Code::kNotFound, users.Delete("nobody"));
    UserRecord created;
    ASSERT_OK(users.Add("alice", "$h", &created));
    ASSERT_OK(users.Delete("alice"));
    ASSERT_CODE(Code::kNotFound, users.Delete("alice"));
  }

  void testListNamesIsSorted() {
    UserStore users(redis_.get());
    std::vector<std::string> names = {"stale"};
    ASSERT_OK(users.ListNames(&names));
    CPPUNIT_ASSERT(names.empty());
    UserRecord created;
    for (const char* name : {"carol", "alice", "dave", "bob", "Zed"}) {
      ASSERT_OK(users.Add(name, "$h", &created));
    }
    ASSERT_OK(users.ListNames(&names));
    const std::vector<std::string> expected = {"Zed", "alice", "bob", "carol",
                                               "dave"};
    CPPUNIT_ASSERT(expected == names);
  }

  // --- RedisClient
  // -------------------------------------------------------------

  // Sets `key` through a second connection, as another worker would.
  void SetElsewhere(const std::string& key, const std::string& value) {
    RedisClient other(config_);
    RedisReply reply;
    ASSERT_OK(other.Run({"SET", key, value}, &reply));
  }

  void testPrefetchedReplyRidesWithTheNextRoundTripAndIsUsedOnce() {
    SetElsewhere("k", "before");
    redis_->Prefetch({"GET", "k"});
    std::vector<RedisReply> replies;
    ASSERT_OK(redis_->Pipeline({{"SET", "own", "1"}}, &replies));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, replies.size());  // only the caller's
    CPPUNIT_ASSERT_EQUAL(std::string("OK"), replies[0].text);
    // Changed after that round trip: the prefetched reply is the older value,
    // so it was read then, and Run sent nothing.
    SetElsewhere("k", "after");
    RedisReply reply;
    ASSERT_OK(redis_->Run({"GET", "k"}, &reply));
    CPPUNIT_ASSERT_EQUAL(std::string("before"), reply.text);
    // Used up: the next Run asks Redis.
    ASSERT_OK(redis_->Run({"GET", "k"}, &reply));
    CPPUNIT_ASSERT_EQUAL(std::string("after"), reply.text);
  }

  void testAPrefetchedCommandTheCallerSendsItselfRunsOnce() {
    SetElsewhere("k", "value");
    const long long before = test::CommandCalls(redis_.get(), "get");
    redis_->Prefetch({"GET", "k"});
    RedisReply reply;
    ASSERT_OK(redis_->Run({"GET", "k"}, &reply));
    CPPUNIT_ASSERT_EQUAL(std::string("value"), reply.text);
    CPPUNIT_ASSERT_EQUAL(before + 1, test::CommandCalls(redis_.get(), "get"));
    // Not kept either: the next Run asks Redis again.
    SetElsewhere("k", "changed");
    ASSERT_OK(redis_->Run({"GET", "k"}, &reply));
    CPPUNIT_ASSERT_EQUAL(std::string("changed"), reply.text);
  }

  void testPrefetchedErrorIsNotKeptNorTheCallersError() {
    SetElsewhere("text", "not a number");
    redis_->Prefetch({"INCR", "text"});
    RedisReply reply;
    ASSERT_OK(redis_->Run({"SET", "own", "1"}, &reply));
    // Not kept: Run sends it and gets the error itself.
    Status status = redis_->Run({"INCR", "text"}, &reply);
    CPPUNIT_ASSERT(status.code() == Code::kInternal);
  }

  void testPrefetchedScriptGoesByHashAndDroppedRepliesAreForgotten() {
    const RedisCommand script = {"EVAL", "return redis.call('GET', KEYS[1])",
                                 "1", "k"};
    SetElsewhere("k", "one");
    RedisReply reply;
    // Redis does not know the script yet: the prefetched EVALSHA fails and
    // is not kept; Run then sends the text.
    redis_->Prefetch(script);
    ASSERT_OK(redis_->Run({"PING"}, &reply));
    SetElsewhere("k", "two");
    ASSERT_OK(redis_->Run(script, &reply));
    CPPUNIT_ASSERT_EQUAL(std::string("two"), reply.text);
    // Now it does: the prefetched reply is used.
    redis_->Prefetch(script);
    ASSERT_OK(redis_->Run({"PING"}, &reply));
    SetElsewhere("k", "three");
    ASSERT_OK(redis_->Run(script, &reply));
    CPPUNIT_ASSERT_EQUAL(std::string("two"), reply.text);
    // Dropped (the next request): forgotten, Run asks Redis.
    redis_->Prefetch(script);
    ASSERT_OK(redis_->Run({"PING"}, &reply));
    redis_->DropPrefetched();
    ASSERT_OK(redis_->Run(script, &reply));
    CPPUNIT_ASSERT_EQUAL(std::string("three"), reply.text);
  }

  void testPipelineReturnsEveryReplyInOrder() {
    std::vector<RedisReply> replies;
    ASSERT_OK(redis_->Pipeline({{"SET", "k", "v"},
                                {"GET", "k"},
                                {"INCR", "counter"},
                                {"GET", "missing"},
                                {"RPUSH", "list", "a", "b"},
                                {"LRANGE", "list", "0", "-1"}},
                               &replies));
    CPPUNIT_ASSERT_EQUAL(size_t{6}, replies.size());
    CPPUNIT_ASSERT(replies[0].type == RedisReply::Type::kStatus);
    CPPUNIT_ASSERT_EQUAL(std::string("OK"), replies[0].text);
    CPPUNIT_ASSERT(replies[1].type == RedisReply::Type::kString);
    CPPUNIT_ASSERT_EQUAL(std::string("v"), replies[1].text);
    CPPUNIT_ASSERT(replies[2].type == RedisReply::Type::kInteger);
    CPPUNIT_ASSERT_EQUAL(1LL, replies[2].integer);
    CPPUNIT_ASSERT(replies[3].is_nil());
    CPPUNIT_ASSERT_EQUAL(2LL, replies[4].integer);
    CPPUNIT_ASSERT(replies[5].type == RedisReply::Type::kArray);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, replies[5].elements.size());
    CPPUNIT_ASSERT_EQUAL(std::string("b"), replies[5].elements[1].text);

    // Arguments are binary-safe: an embedded NUL travels intact.
    const std::string binary("a\0b\r\n", 5);
    RedisReply reply;
    ASSERT_OK(redis_->Run({"SET", "binary", binary}, &reply));
    ASSERT_OK(redis_->Run({"GET", "binary"}, &reply));
    CPPUNIT_ASSERT_EQUAL(binary, reply.text);
  }

  void testTransactionReturnsTheExecResults() {
    std::vector<RedisReply> replies;
    ASSERT_OK(redis_->Transaction(
        {{"SET", "k", "1"}, {"INCR", "k"}, {"GET", "k"}}, &replies));
    CPPUNIT_ASSERT_EQUAL(size_t{3}, replies.size());
    CPPUNIT_ASSERT_EQUAL(std::string("OK"), replies[0].text);
    CPPUNIT_ASSERT_EQUAL(2LL, replies[1].integer);
    CPPUNIT_ASSERT_EQUAL(std::string("2"), replies[2].text);
  }

  void testRedisErrorReplyIsInternalAndTheConnectionStaysUsable() {
    RedisReply reply;
    ASSERT_OK(redis_->Run({"SET", "text", "abc"}, &reply));
    Status status = redis_->Run({"INCR", "text"}, &reply);
    ASSERT_CODE(Code::kInternal, status);
    CPPUNIT_ASSERT(status.description().find("Redis error") !=
                   std::string::npos);
    ASSERT_CODE(Code::kInternal, redis_->Run({"NO-SUCH-COMMAND"}, &reply));
    // An error inside a transaction fails it too.
    std::vector<RedisReply> replies;
    ASSERT_CODE(Code::kInternal,
                redis_->Transaction({{"INCR", "text"}, {"PING"}}, &replies));
    // The stream stays in step: the next command gets its own reply.
    ASSERT_OK(redis_->Run({"GET", "text"}, &reply));
    CPPUNIT_ASSERT_EQUAL(std::string("abc"), reply.text);
  }

  void testMissingSocketIsServiceUnavailableWithoutHanging() {
    Config config = config_;
    config.redis = "unix:" + dir_.path() + "/no-such.sock";
    config.redis_connect_timeout_ms = 500;
    RedisClient client(config);
    const Clock::time_point start = Clock::now();
    RedisReply reply;
    ASSERT_CODE(Code::kServiceUnavailable, client.Run({"PING"}, &reply));
    std::vector<RedisReply> replies;
    ASSERT_CODE(Code::kServiceUnavailable,
                client.Transaction({{"PING"}}, &replies));
    CPPUNIT_ASSERT(replies.empty());
    CPPUNIT_ASSERT_MESSAGE(std::to_string(SecondsSince(start)),
                           SecondsSince(start) < 1.0);
    ASSERT_CODE(Code::kServiceUnavailable, client.Run({"PING"}, &reply));
  }

  void testStoresReportServiceUnavailableWhenRedisIsDown() {
    server_.Stop();
    TokenStore tokens(redis_.get());
    UserStore users(redis_.get());
    const Clock::time_point start = Clock::now();
    UserRecord owner;
    bool owner_found = true;
    ASSERT_CODE(Code::kServiceUnavailable,
                users.FindTokenOwner(kAlice, "n", &owner, &owner_found));
    CPPUNIT_ASSERT(!owner_found);  // never "found" on an error
    bool revoked = true;
    ASSERT_CODE(Code::kServiceUnavailable,
                tokens.Revoke(kAlice, "n", &revoked));
    CPPUNIT_ASSERT(!revoked);
    std::vector<StoredToken> listed;
    ASSERT_CODE(Code::kServiceUnavailable, tokens.List(kAlice, &listed));
    ASSERT_CODE(Code::kServiceUnavailable,
                tokens.Add(kAlice, StoredToken{"n", Now() + 60}, 1));
    UserRecord user;
    bool found = true;
    ASSERT_CODE(Code::kServiceUnavailable,
                users.FindByName("alice", &user, &found));
    CPPUNIT_ASSERT(!found);
    ASSERT_CODE(Code::kServiceUnavailable, users.Add("alice", "$h", &user));
    CPPUNIT_ASSERT(SecondsSince(start) < 2.0);
  }

  void testSlowCommandIsServiceUnavailableWithoutHanging() {
    Config config = config_;
    config.redis_command_timeout_ms = 200;
    RedisClient client(config);
    RedisReply reply;
    ASSERT_OK(client.Run({"PING"}, &reply));
    // BLPOP on an empty list would block for 10 s.
    const Clock::time_point start = Clock::now();
    ASSERT_CODE(Code::kServiceUnavailable,
                client.Run({"BLPOP", "empty-list", "10"}, &reply));
    CPPUNIT_ASSERT_MESSAGE(std::to_string(SecondsSince(start)),
                           SecondsSince(start) < 1.5);
    // The client dropped the out-of-step connection and works again.
    ASSERT_OK(client.Run({"PING"}, &reply));
    CPPUNIT_ASSERT_EQUAL(std::string("PONG"), reply.text);
  }

  void testReconnectsByItselfAfterTheServerRestarts() {
    RedisReply reply;
    ASSERT_OK(redis_->Run({"SET", "before", "1"}, &reply));

    server_.Stop();
    const Clock::time_point start = Clock::now();
    ASSERT_CODE(Code::kServiceUnavailable, redis_->Run({"PING"}, &reply));
    CPPUNIT_ASSERT(SecondsSince(start) < 1.0);

    server_.Start(dir_.path());  // the same socket path
    ASSERT_OK(redis_->Run({"PING"}, &reply));
    CPPUNIT_ASSERT_EQUAL(std::string("PONG"), reply.text);
    ASSERT_OK(redis_->Run({"SET", "after", "2"}, &reply));
    ASSERT_OK(redis_->Run({"GET", "after"}, &reply));
    CPPUNIT_ASSERT_EQUAL(std::string("2"), reply.text);
  }

 private:
  // A raw command whose reply is an integer.
  // The invalidation barrier's round trips so far.
  long long PingCalls() { return test::CommandCalls(redis_.get(), "ping"); }

  // Whether the token's record is in Redis: what authentication checks
  // (UserStore::FindTokenOwner) before it accepts a token.
  bool RecordExists(const std::string& user_id, const std::string& nonce) {
    return Integer({"EXISTS", TokenRecordKey(user_id, nonce)}) == 1;
  }

  std::string Text(const RedisCommand& command) {
    return test::RedisText(redis_.get(), command);
  }
  long long Integer(const RedisCommand& command) {
    return test::RedisInteger(redis_.get(), command);
  }

  const std::string kAlice = NewRandomId();
  const std::string kBob = NewRandomId();

  test::TemporaryDirectory dir_;
  test::RedisServer server_;
  Config config_;
  std::unique_ptr<RedisClient> redis_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(StoreTest);

// The key layout itself (store_keys.h): what is in Redis stays readable only
// as long as these strings do not change.
class StoreKeysTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(StoreKeysTest);
  CPPUNIT_TEST(testKeysAreTheDocumentedLayout);
  CPPUNIT_TEST(testRecordKeysNeverClashWithTheNamedKeys);
  CPPUNIT_TEST(testARecordKeyFitsJemallocs64ByteClass);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testKeysAreTheDocumentedLayout() {
    const std::string uid = "0123456789abcdef0123456789abcdef";
    const std::string sid = "fedcba9876543210fedcba9876543210";
    CPPUNIT_ASSERT_EQUAL("oz:{" + uid + "}:user", UserKey(uid));
    CPPUNIT_ASSERT_EQUAL("oz:{" + uid + "}:tokens", TokenListKey(uid));
    CPPUNIT_ASSERT_EQUAL("oz:{" + uid + "}tAAECAwQFBgcICQoL",
                         TokenRecordKey(uid, "AAECAwQFBgcICQoL"));
    CPPUNIT_ASSERT_EQUAL("oz:{" + uid + "}:spaces", UserSpacesKey(uid));
    CPPUNIT_ASSERT_EQUAL("oz:{" + uid + "}:reserved",
                         UserSpaceReservationsKey(uid));
    CPPUNIT_ASSERT_EQUAL(std::string("oz:users"), FormerUserNamesKey());
    CPPUNIT_ASSERT_EQUAL("oz:{" + uid + "}:fails", LoginFailuresKey(uid));
    CPPUNIT_ASSERT_EQUAL(std::string("oz:{ip:127.0.0.1}:fails"),
                         AddressFailuresKey("127.0.0.1"));
    CPPUNIT_ASSERT_EQUAL("oz:{s:" + sid + "}:space", SpaceKey(sid));
    CPPUNIT_ASSERT_EQUAL("oz:{s:" + sid + "}:members", SpaceMembersKey(sid));
    CPPUNIT_ASSERT_EQUAL("oz:{s:" + sid + "}:pending",
                         SpacePendingInvitationsKey(sid));
    CPPUNIT_ASSERT_EQUAL("oz:{s:" + sid + "}:invs",
                         FormerSpaceInvitationsKey(sid));
    CPPUNIT_ASSERT_EQUAL("oz:{s:" + sid + "}iAAECAwQFBgcICQoL",
                         InvitationKey(sid, "AAECAwQFBgcICQoL"));
    // The scripts append the nonce to the key of an empty nonce.
    CPPUNIT_ASSERT_EQUAL(TokenRecordKey(uid, "") + "n", TokenRecordKey(uid, "n"));
    CPPUNIT_ASSERT_EQUAL(InvitationKey(sid, "") + "n", InvitationKey(sid, "n"));
  }

  void testRecordKeysNeverClashWithTheNamedKeys() {
    // Whatever the nonce, even one spelling a key name: the named keys have
    // ':' right after the hash tag, the records a letter.
    const std::string id = "0123456789abcdef0123456789abcdef";
    for (const std::string& nonce :
         {std::string("okens"), std::string(":tokens"), std::string("user"),
          std::string(""), std::string("nvs"), std::string(":invs"),
          std::string("ending"), std::string(":pending"),
          std::string("eserved"), std::string(":reserved")}) {
      for (const std::string& named :
           {UserKey(id), TokenListKey(id), UserSpacesKey(id),
            UserSpaceReservationsKey(id), LoginFailuresKey(id)}) {
        CPPUNIT_ASSERT(TokenRecordKey(id, nonce) != named);
      }
      for (const std::string& named :
           {SpaceKey(id), SpaceMembersKey(id), SpacePendingInvitationsKey(id),
            FormerSpaceInvitationsKey(id)}) {
        CPPUNIT_ASSERT(InvitationKey(id, nonce) != named);
      }
    }
  }

  void testARecordKeyFitsJemallocs64ByteClass() {
    // Redis keeps a key as an sds string: a 3-byte header, the bytes and a
    // NUL. 64 bytes or less is jemalloc's 64-byte class; one byte more is
    // the 80-byte class, 16 bytes more per token.
    std::string key = TokenRecordKey(NewRandomId(), NewTokenNonce());
    CPPUNIT_ASSERT_EQUAL(size_t{54}, key.size());
    CPPUNIT_ASSERT(3 + key.size() + 1 <= 64);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(StoreKeysTest);

}  // namespace tokend
