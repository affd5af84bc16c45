// Unit tests for space_store.h against a Redis Cluster node that holds
// every hash slot (test::SharedClusterNode, one for the whole run, emptied
// before each test): such a node refuses any script, transaction or
// multi-key command whose keys hash to two slots, so every test here also
// checks that the store keeps each to one (issue 15).
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <signal.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../redis_calls.h"
#include "../redis_server.h"
#include "../status_asserts.h"
#include "tokend/store/named_token_store.h"
#include "tokend/store/redis_client.h"
#include "tokend/store/space_store.h"
#include "tokend/store/store_keys.h"
#include "tokend/token/token_ref.h"

namespace tokend {
namespace {

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

}  // namespace

class SpaceStoreTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SpaceStoreTest);
  CPPUNIT_TEST(testSpaceCreatesPastTheUsersLimitAreForbiddenUntilOneIsLeft);
  CPPUNIT_TEST(testSpaceJoinPastTheUsersLimitIsForbiddenAndLeavesTheInvitation);
  CPPUNIT_TEST(testSpaceJoinOfASpaceAlreadyListedIsNotOneMore);
  CPPUNIT_TEST(testSpacePlaceHeldByAnUnfinishedRequestCountsUntilItLapses);
  CPPUNIT_TEST(testSpaceFailedJoinGivesItsPlaceBack);
  CPPUNIT_TEST(testSpaceInvitationsPastTheLimitAreForbiddenUntilOneIsUsed);
  CPPUNIT_TEST(testSpaceExpiredInvitationsDoNotCountAndArePruned);
  CPPUNIT_TEST(testSpacePendingInvitationsLiveAsLongAsTheLongestLived);
  CPPUNIT_TEST(testSpaceLastMemberOutDeletesEveryInvitationAndKey);
  CPPUNIT_TEST(testSpaceGoneFindsNoJoinNorNewInvitationWhileItsOwnAreDeleted);
  CPPUNIT_TEST(testSpaceOwnerLeavingHandsItToTheLongestStandingMember);
  CPPUNIT_TEST(testSpaceOwnerLeavingCancelsEveryInvitationTheyIssued);
  CPPUNIT_TEST(testSpaceMembersFromBeforeTheJoinOrderStandLongestSmallestIdFirst);
  CPPUNIT_TEST(testSpaceOnlyTheOwnerAddsInvitations);
  CPPUNIT_TEST(testSpaceJoinAndLeaveChangeTheUsersListWithTheMembers);
  CPPUNIT_TEST(testSpaceDefaultIsRefusedForASpaceTheUserIsNotIn);
  CPPUNIT_TEST(testInvitationJoinsCountOnlyNewMembersUpToTheLimit);
  CPPUNIT_TEST(testConcurrentJoinsNeverPassTheUsageLimit);
  CPPUNIT_TEST(testRevokedPastGenerationAndOrphanedInvitationsAdmitNoOne);
  CPPUNIT_TEST(testUsesAreCountedInTheSpaceAndGoWithIt);
  CPPUNIT_TEST(testUsesARecordCountedBeforeStillCount);
  CPPUNIT_TEST(testUsesOfExpiredInvitationsAreDropped);
  CPPUNIT_TEST(testListingDropsSpacesThatNoLongerListTheUser);
  CPPUNIT_TEST(testListingAddsTheSpaceOfAJoinWhoseIndexStepNeverRan);
  CPPUNIT_TEST(testAPlaceOfAJoinWhoseIndexStepNeverRanStaysTakenAfterItLapses);
  CPPUNIT_TEST(testADefaultItsSpaceNoLongerListsIsNone);
  CPPUNIT_TEST(testADefaultTheIndexMissesIsListedWhileItsSpaceListsTheUser);
  CPPUNIT_TEST(testTheDefaultMayBeASpaceTheIndexHasNotListedYet);
  CPPUNIT_TEST(testLeavingEverySpaceLeavesThoseOnlyAPlaceNames);
  CPPUNIT_TEST(testLeavesRacingJoinsOfOneSpaceNeverLoseTheSpaceFromTheList);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    // As the daemon's workers do (worker_pool.cpp).
    signal(SIGPIPE, SIG_IGN);
    config_.redis = "unix:" + test::SharedClusterNode().socket();
    config_.redis_connect_timeout_ms = 300;
    config_.redis_command_timeout_ms = 2000;
    redis_ = std::make_unique<RedisClient>(config_);
    CPPUNIT_ASSERT_EQUAL(std::string("OK"), Text({"FLUSHALL"}));
  }

  void tearDown() override { redis_.reset(); }

  void testSpaceCreatesPastTheUsersLimitAreForbiddenUntilOneIsLeft() {
    SpaceStore spaces(redis_.get());
    std::vector<std::string> ids(3);
    for (std::string& id : ids) ASSERT_OK(spaces.Create(kAliceId, "s", 3, &id));
    std::string refused;
    ExpectLimit(3, spaces.Create(kAliceId, "s", 3, &refused));
    // Refused before the space side was written, and no place stays held.
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", SpaceKey(refused)}));
    CPPUNIT_ASSERT_EQUAL(0LL, PlacesHeld(kAliceId));
    CPPUNIT_ASSERT_EQUAL(3LL, Integer({"SCARD", UserSpacesKey(kAliceId)}));

    bool left = false;
    ASSERT_OK(spaces.Leave(kAliceId, ids[1], &left));
    CPPUNIT_ASSERT(left);
    std::string again;
    ASSERT_OK(spaces.Create(kAliceId, "s", 3, &again));
    ExpectLimit(3, spaces.Create(kAliceId, "s", 3, &refused));
    // Another user's spaces are theirs to count.
    ASSERT_OK(spaces.Create(kBobId, "s", 1, &again));
  }

  void testSpaceJoinPastTheUsersLimitIsForbiddenAndLeavesTheInvitation() {
    SpaceStore spaces(redis_.get());
    std::string club = SpaceWithInvitations(&spaces, kBobId, {"n1"});
    std::string own;
    ASSERT_OK(spaces.Create(kAliceId, "s", 2, &own));
    ASSERT_OK(spaces.Create(kAliceId, "s", 2, &own));
    JoinResult result = JoinResult::kJoined;
    ExpectLimit(2, spaces.Join(kAliceId, club, "n1", 2, &result));
    CPPUNIT_ASSERT_EQUAL(1LL, Integer({"EXISTS", InvitationKey(club, "n1")}));
    CPPUNIT_ASSERT_EQUAL(
        0LL, Integer({"SISMEMBER", SpaceMembersKey(club), kAliceId}));
    CPPUNIT_ASSERT_EQUAL(0LL, PlacesHeld(kAliceId));

    ASSERT_OK(spaces.Join(kAliceId, club, "n1", 3, &result));
    CPPUNIT_ASSERT(result == JoinResult::kJoined);
    CPPUNIT_ASSERT_EQUAL(3LL, Integer({"SCARD", UserSpacesKey(kAliceId)}));
    CPPUNIT_ASSERT_EQUAL(0LL, PlacesHeld(kAliceId));
  }

  void testSpaceJoinOfASpaceAlreadyListedIsNotOneMore() {
    SpaceStore spaces(redis_.get());
    std::string club = SpaceWithInvitations(&spaces, kBobId, {"n1", "n2"});
    JoinResult result = JoinResult::kNoSuchSpace;
    ASSERT_OK(spaces.Join(kAliceId, club, "n1", 1, &result));
    CPPUNIT_ASSERT(result == JoinResult::kJoined);
    // At the limit, a second invitation to the same space is "already a
    // member" (409), not "too many spaces", and stays unused.
    ASSERT_OK(spaces.Join(kAliceId, club, "n2", 1, &result));
    CPPUNIT_ASSERT(result == JoinResult::kAlreadyMember);
    CPPUNIT_ASSERT_EQUAL(1LL, Integer({"EXISTS", InvitationKey(club, "n2")}));
    std::string refused;
    ExpectLimit(1, spaces.Create(kAliceId, "s", 1, &refused));
  }

  void testSpacePlaceHeldByAnUnfinishedRequestCountsUntilItLapses() {
    SpaceStore spaces(redis_.get());
    std::string id;
    ASSERT_OK(spaces.Create(kAliceId, "s", 2, &id));
    // A place a request in another worker holds (or one a killed worker
    // left) counts while its deadline is ahead...
    const std::string held = UserSpaceReservationsKey(kAliceId);
    Integer({"ZADD", held, std::to_string(Now() + 60), "elsewhere"});
    ExpectLimit(2, spaces.Create(kAliceId, "s", 2, &id));
    // ...and not once it has passed; the lapsed one is dropped.
    Integer({"ZADD", held, "XX", std::to_string(Now() - 1), "elsewhere"});
    ASSERT_OK(spaces.Create(kAliceId, "s", 2, &id));
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", held}));
    ExpectLimit(2, spaces.Create(kAliceId, "s", 2, &id));
  }

  void testSpaceFailedJoinGivesItsPlaceBack() {
    SpaceStore spaces(redis_.get());
    std::string club = SpaceWithInvitations(&spaces, kBobId, {"n1"});
    JoinResult result = JoinResult::kJoined;
    ASSERT_OK(spaces.Join(kAliceId, club, "never-issued", 1, &result));
    CPPUNIT_ASSERT(result == JoinResult::kInvitationGone);
    ASSERT_OK(spaces.Join(kAliceId, NewRandomId(), "n1", 1, &result));
    CPPUNIT_ASSERT(result == JoinResult::kNoSuchSpace);
    CPPUNIT_ASSERT_EQUAL(0LL, PlacesHeld(kAliceId));
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", UserSpacesKey(kAliceId)}));
    ASSERT_OK(spaces.Join(kAliceId, club, "n1", 1, &result));
    CPPUNIT_ASSERT(result == JoinResult::kJoined);
  }

  void testSpaceInvitationsPastTheLimitAreForbiddenUntilOneIsUsed() {
    SpaceStore spaces(redis_.get());
    std::string club;
    ASSERT_OK(spaces.Create(kBobId, "club", 10, &club));
    const int64_t expiry = Now() + 3600;
    for (const char* nonce : {"n1", "n2", "n3"}) {
      ASSERT_OK(spaces.AddInvitation(club, kBobId, nonce, expiry, 3));
    }
    ExpectLimit(3, spaces.AddInvitation(club, kBobId, "n4", expiry, 3));
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", InvitationKey(club, "n4")}));
    // Each space counts its own.
    std::string other;
    ASSERT_OK(spaces.Create(kBobId, "other", 10, &other));
    ASSERT_OK(spaces.AddInvitation(other, kBobId, "n1", expiry, 3));

    JoinResult result = JoinResult::kNoSuchSpace;
    ASSERT_OK(spaces.Join(kAliceId, club, "n2", 10, &result));
    CPPUNIT_ASSERT(result == JoinResult::kJoined);
    ASSERT_OK(spaces.AddInvitation(club, kBobId, "n4", expiry, 3));
    ExpectLimit(3, spaces.AddInvitation(club, kBobId, "n5", expiry, 3));
  }

  void testSpaceExpiredInvitationsDoNotCountAndArePruned() {
    SpaceStore spaces(redis_.get());
    std::string club = SpaceWithInvitations(&spaces, kBobId, {"n1", "n2"});
    // n1's time has come: Redis drops its record by itself, and its score
    // (the expiry) says so.
    const std::string pending = SpacePendingInvitationsKey(club);
    Integer({"ZADD", pending, "XX", std::to_string(Now() - 1), "n1"});
    Integer({"DEL", InvitationKey(club, "n1")});
    ASSERT_OK(spaces.AddInvitation(club, kBobId, "n3", Now() + 3600, 2));
    CPPUNIT_ASSERT_EQUAL(2LL, Integer({"ZCARD", pending}));
    RedisReply score;
    ASSERT_OK(redis_->Run({"ZSCORE", pending, "n1"}, &score));
    CPPUNIT_ASSERT(score.is_nil());
    ExpectLimit(2, spaces.AddInvitation(club, kBobId, "n4", Now() + 3600, 2));
  }

  void testSpacePendingInvitationsLiveAsLongAsTheLongestLived() {
    SpaceStore spaces(redis_.get());
    std::string club;
    ASSERT_OK(spaces.Create(kBobId, "club", 10, &club));
    const int64_t now = Now();
    ASSERT_OK(spaces.AddInvitation(club, kBobId, "late", now + 2000, 10));
    ASSERT_OK(spaces.AddInvitation(club, kBobId, "early", now + 1000, 10));
    const std::string pending = SpacePendingInvitationsKey(club);
    CPPUNIT_ASSERT_EQUAL(static_cast<long long>(now + 2000),
                         Integer({"EXPIRETIME", pending}));
    CPPUNIT_ASSERT_EQUAL(static_cast<long long>(now + 1000),
                         Integer({"EXPIRETIME", InvitationKey(club, "early")}));
    RedisReply score;
    ASSERT_OK(redis_->Run({"ZSCORE", pending, "early"}, &score));
    CPPUNIT_ASSERT_EQUAL(std::to_string(now + 1000), score.text);
  }

  void testSpaceLastMemberOutDeletesEveryInvitationAndKey() {
    SpaceStore spaces(redis_.get());
    std::string club;
    ASSERT_OK(spaces.Create(kBobId, "club", 10, &club));
    // Two and a half batches, and a set of pending nonces in the former
    // layout with records of its own.
    const int pending = 2 * kInvitationDeleteBatch + kInvitationDeleteBatch / 2;
    for (int i = 0; i < pending; ++i) {
      ASSERT_OK(spaces.AddInvitation(club, kBobId, "p" + std::to_string(i),
                                     Now() + 3600, pending));
    }
    RedisCommand former = {"SADD", FormerSpaceInvitationsKey(club)};
    for (int i = 0; i < kInvitationDeleteBatch + 1; ++i) {
      const std::string nonce = "f" + std::to_string(i);
      former.push_back(nonce);
      RedisReply reply;
      ASSERT_OK(redis_->Run(
          {"SET", InvitationKey(club, nonce), "1", "EX", "3600"}, &reply));
    }
    Integer(former);
    JoinResult result = JoinResult::kNoSuchSpace;
    ASSERT_OK(spaces.Join(kAliceId, club, "p0", 10, &result));
    CPPUNIT_ASSERT(result == JoinResult::kJoined);

    bool left = false;
    ASSERT_OK(spaces.Leave(kAliceId, club, &left));
    CPPUNIT_ASSERT(left);
    // bob, the owner, is still in: every record but the one alice used,
    // both sets of nonces, the space, its members and their join order.
    const size_t records = (pending - 1) + (kInvitationDeleteBatch + 1);
    CPPUNIT_ASSERT_EQUAL(records + 5, KeysOfSpace(club).size());
    ASSERT_OK(spaces.Leave(kBobId, club, &left));
    CPPUNIT_ASSERT(left);
    const std::vector<std::string> left_behind = KeysOfSpace(club);
    CPPUNIT_ASSERT_MESSAGE(left_behind.empty() ? "" : left_behind[0],
                           left_behind.empty());
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", UserSpacesKey(kBobId)}));
  }

  void testSpaceGoneFindsNoJoinNorNewInvitationWhileItsOwnAreDeleted() {
    SpaceStore spaces(redis_.get());
    std::string club = SpaceWithInvitations(&spaces, kBobId, {"n1"});
    // What the last member's leaving does first; the invitations are still
    // on their way out.
    Integer({"DEL", SpaceKey(club), SpaceMembersKey(club)});
    JoinResult result = JoinResult::kJoined;
    ASSERT_OK(spaces.Join(kAliceId, club, "n1", 10, &result));
    CPPUNIT_ASSERT(result == JoinResult::kNoSuchSpace);
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", SpaceMembersKey(club)}));
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", UserSpacesKey(kAliceId)}));
    ASSERT_CODE(Code::kNotFound,
                spaces.AddInvitation(club, kBobId, "n2", Now() + 3600, 10));
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", InvitationKey(club, "n2")}));
  }

  void testSpaceOwnerLeavingHandsItToTheLongestStandingMember() {
    SpaceStore spaces(redis_.get());
    std::string club = SpaceWithInvitations(&spaces, kBobId, {"n1", "n2", "n3"});
    JoinResult result = JoinResult::kNoSuchSpace;
    ASSERT_OK(spaces.Join(kAliceId, club, "n1", 10, &result));
    ASSERT_OK(spaces.Join(kCarolId, club, "n2", 10, &result));
    // alice leaves and comes back: she now stands shorter than carol.
    bool left = false;
    ASSERT_OK(spaces.Leave(kAliceId, club, &left));
    ASSERT_OK(spaces.Join(kAliceId, club, "n3", 10, &result));
    CPPUNIT_ASSERT(result == JoinResult::kJoined);

    ASSERT_OK(spaces.Leave(kBobId, club, &left));
    CPPUNIT_ASSERT(left);
    SpaceRecord space;
    bool found = false;
    ASSERT_OK(spaces.GetForMember(club, kAliceId, &space, &found));
    CPPUNIT_ASSERT(found);
    CPPUNIT_ASSERT_EQUAL(kCarolId, space.owner);
    CPPUNIT_ASSERT_EQUAL(int64_t{2}, space.member_count);
    ASSERT_OK(spaces.AddInvitation(club, kCarolId, "n4", Now() + 3600, 10));
    // carol leaves too: alice, the last one, owns it.
    ASSERT_OK(spaces.Leave(kCarolId, club, &left));
    ASSERT_OK(spaces.GetForMember(club, kAliceId, &space, &found));
    CPPUNIT_ASSERT_EQUAL(kAliceId, space.owner);
    ASSERT_OK(spaces.Leave(kAliceId, club, &left));
    CPPUNIT_ASSERT(KeysOfSpace(club).empty());
  }

  void testSpaceOwnerLeavingCancelsEveryInvitationTheyIssued() {
    SpaceStore spaces(redis_.get());
    std::string club =
        SpaceWithInvitations(&spaces, kBobId, {"n0", "n1", "n2"});
    JoinResult result = JoinResult::kNoSuchSpace;
    ASSERT_OK(spaces.Join(kAliceId, club, "n0", 10, &result));
    // More than a batch, so that the deletion takes several.
    for (int i = 0; i < kInvitationDeleteBatch + 5; ++i) {
      ASSERT_OK(spaces.AddInvitation(club, kBobId, "b" + std::to_string(i),
                                     Now() + 3600, 1000));
    }
    bool left = false;
    ASSERT_OK(spaces.Leave(kBobId, club, &left));
    // No record of bob's, nor its nonce, is left: the space holds its own
    // hash, members and join order only.
    std::vector<std::string> keys = KeysOfSpace(club);
    std::sort(keys.begin(), keys.end());
    CPPUNIT_ASSERT(keys == (std::vector<std::string>{SpaceJoinOrderKey(club),
                                                     SpaceMembersKey(club),
                                                     SpaceKey(club)}));
    ASSERT_OK(spaces.Join(kCarolId, club, "n1", 10, &result));
    CPPUNIT_ASSERT(result == JoinResult::kInvitationGone);
    // A record the deletion has not reached yet (restored here as bob's
    // term wrote it) admits no one either, and goes.
    Text({"SET", InvitationKey(club, "n2"), "t0", "EX", "3600"});
    ASSERT_OK(spaces.Join(kCarolId, club, "n2", 10, &result));
    CPPUNIT_ASSERT(result == JoinResult::kInvitationGone);
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", InvitationKey(club, "n2")}));
    CPPUNIT_ASSERT_EQUAL(0LL, PlacesHeld(kCarolId));
    // alice, the owner now, has the whole limit to invite with.
    for (const char* nonce : {"a1", "a2"}) {
      ASSERT_OK(spaces.AddInvitation(club, kAliceId, nonce, Now() + 3600, 2));
    }
    ASSERT_OK(spaces.Join(kCarolId, club, "a1", 10, &result));
    CPPUNIT_ASSERT(result == JoinResult::kJoined);
  }

  void testSpaceMembersFromBeforeTheJoinOrderStandLongestSmallestIdFirst() {
    SpaceStore spaces(redis_.get());
    // A space as stored before the join order: no "joins", no order.
    const std::string club = NewRandomId();
    Integer({"HSET", SpaceKey(club), "name", "old", "owner", kBobId});
    Integer({"SADD", SpaceMembersKey(club), kBobId, kDaveId, kCarolId});
    // Its invitations hold their expiry, and admit while bob owns it.
    Text({"SET", InvitationKey(club, "old1"), "1999999999", "EX", "3600"});
    Text({"SET", InvitationKey(club, "old2"), "1999999999", "EX", "3600"});
    JoinResult result = JoinResult::kNoSuchSpace;
    ASSERT_OK(spaces.Join(kAliceId, club, "old1", 10, &result));
    CPPUNIT_ASSERT(result == JoinResult::kJoined);

    bool left = false;
    ASSERT_OK(spaces.Leave(kBobId, club, &left));
    SpaceRecord space;
    bool found = false;
    ASSERT_OK(spaces.GetForMember(club, kAliceId, &space, &found));
    CPPUNIT_ASSERT_EQUAL(kCarolId, space.owner);
    CPPUNIT_ASSERT_EQUAL(3LL, Integer({"ZCARD", SpaceJoinOrderKey(club)}));
    ASSERT_OK(spaces.Join(kEveId, club, "old2", 10, &result));
    CPPUNIT_ASSERT(result == JoinResult::kInvitationGone);
    ASSERT_OK(spaces.Leave(kCarolId, club, &left));
    ASSERT_OK(spaces.GetForMember(club, kAliceId, &space, &found));
    CPPUNIT_ASSERT_EQUAL(kDaveId, space.owner);
    ASSERT_OK(spaces.Leave(kDaveId, club, &left));
    ASSERT_OK(spaces.GetForMember(club, kAliceId, &space, &found));
    CPPUNIT_ASSERT_EQUAL(kAliceId, space.owner);
  }

  void testSpaceOnlyTheOwnerAddsInvitations() {
    SpaceStore spaces(redis_.get());
    std::string club = SpaceWithInvitations(&spaces, kBobId, {"n1"});
    JoinResult result = JoinResult::kNoSuchSpace;
    ASSERT_OK(spaces.Join(kAliceId, club, "n1", 10, &result));
    ASSERT_CODE(Code::kForbidden,
                spaces.AddInvitation(club, kAliceId, "n2", Now() + 3600, 10));
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", InvitationKey(club, "n2")}));
    // The owner who has left (what a request that checked ownership before
    // the leave would try) no longer adds any.
    bool left = false;
    ASSERT_OK(spaces.Leave(kBobId, club, &left));
    ASSERT_CODE(Code::kForbidden,
                spaces.AddInvitation(club, kBobId, "n3", Now() + 3600, 10));
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", InvitationKey(club, "n3")}));
  }

  void testSpaceJoinAndLeaveChangeTheUsersListWithTheMembers() {
    SpaceStore spaces(redis_.get());
    std::string club = SpaceWithInvitations(&spaces, kBobId, {"n1"});
    JoinResult result = JoinResult::kNoSuchSpace;
    ASSERT_OK(spaces.Join(kAliceId, club, "n1", 10, &result));
    CPPUNIT_ASSERT_EQUAL(
        1LL, Integer({"SISMEMBER", UserSpacesKey(kAliceId), club}));
    CPPUNIT_ASSERT_EQUAL(club, Text({"HGET", UserKey(kAliceId), "default"}));
    // The space side alone loses her (as a leave racing the join would
    // have left it before): a leave still clears her list and default.
    Integer({"SREM", SpaceMembersKey(club), kAliceId});
    bool left = true;
    ASSERT_OK(spaces.Leave(kAliceId, club, &left));
    CPPUNIT_ASSERT(!left);
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", UserSpacesKey(kAliceId)}));
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"HEXISTS", UserKey(kAliceId), "default"}));
  }

  void testSpaceDefaultIsRefusedForASpaceTheUserIsNotIn() {
    SpaceStore spaces(redis_.get());
    std::string club = SpaceWithInvitations(&spaces, kBobId, {});
    std::string own;
    ASSERT_OK(spaces.Create(kAliceId, "own", 10, &own));
    // Even when her list names it (an index left behind).
    Integer({"SADD", UserSpacesKey(kAliceId), club});
    ASSERT_CODE(Code::kNotFound, spaces.SetDefaultSpace(kAliceId, club));
    CPPUNIT_ASSERT_EQUAL(own, Text({"HGET", UserKey(kAliceId), "default"}));
    ASSERT_OK(spaces.SetDefaultSpace(kBobId, club));
  }

  // --- named and temporary invitations (issue 14) ------------------------

  // A named invitation of alice's to `space_id` admitting `limit` (0: no
  // limit) users.
  NamedTokenRecord MakeInvitation(const std::string& space_id, int64_t limit) {
    // Alice's record, which a named token's create needs.
    Integer({"HSET", UserKey(kAliceId), "name", "alice", "pw", "hash"});
    NamedTokenStore store(redis_.get());
    NamedTokenRecord invitation;
    invitation.id = NewRandomId();
    invitation.name = "invite " + invitation.id.substr(0, 8);
    invitation.type = NamedTokenType::kInvite;
    invitation.invite_space_id = space_id;
    invitation.usage_limit = limit;
    invitation.created_at = Now();
    ASSERT_OK(store.Create(kAliceId, invitation, 100));
    return invitation;
  }

  InvitationToken NamedInvitation(const NamedTokenRecord& record) {
    InvitationToken token;
    token.creator_id = kAliceId;
    token.token_id = record.id;
    return token;
  }

  int64_t UsageCount(const std::string& id) {
    NamedTokenStore store(redis_.get());
    NamedTokenRecord read;
    bool found = false;
    ASSERT_OK(store.Get(kAliceId, id, &read, &found));
    CPPUNIT_ASSERT(found);
    return read.usage_count;
  }

  void testInvitationJoinsCountOnlyNewMembersUpToTheLimit() {
    SpaceStore spaces(redis_.get());
    std::string space;
    ASSERT_OK(spaces.Create(kAliceId, "lab", 100, &space));
    const NamedTokenRecord invitation = MakeInvitation(space, 2);
    JoinResult result;
    ASSERT_OK(spaces.JoinWithInvitationToken(
        kAliceId, space, NamedInvitation(invitation), 100, &result));
    CPPUNIT_ASSERT(result == JoinResult::kAlreadyMember);
    CPPUNIT_ASSERT_EQUAL(int64_t{0}, UsageCount(invitation.id));
    ASSERT_OK(spaces.JoinWithInvitationToken(
        kBobId, space, NamedInvitation(invitation), 100, &result));
    CPPUNIT_ASSERT(result == JoinResult::kJoined);
    ASSERT_OK(spaces.JoinWithInvitationToken(
        kBobId, space, NamedInvitation(invitation), 100, &result));
    CPPUNIT_ASSERT(result == JoinResult::kAlreadyMember);
    CPPUNIT_ASSERT_EQUAL(int64_t{1}, UsageCount(invitation.id));
    const std::string carol = NewRandomId(), dave = NewRandomId();
    ASSERT_OK(spaces.JoinWithInvitationToken(
        carol, space, NamedInvitation(invitation), 100, &result));
    CPPUNIT_ASSERT(result == JoinResult::kJoined);
    ASSERT_OK(spaces.JoinWithInvitationToken(
        dave, space, NamedInvitation(invitation), 100, &result));
    CPPUNIT_ASSERT(result == JoinResult::kUsageLimitReached);
    CPPUNIT_ASSERT_EQUAL(int64_t{2}, UsageCount(invitation.id));
    CPPUNIT_ASSERT_EQUAL(3LL, test::RedisInteger(redis_.get(),
                                           {"SCARD", SpaceMembersKey(space)}));
    // The refused user holds no place among their spaces.
    CPPUNIT_ASSERT_EQUAL(0LL, test::RedisInteger(redis_.get(),
                                           {"ZCARD", UserSpaceReservationsKey(dave)}));
    CPPUNIT_ASSERT_EQUAL(0LL, test::RedisInteger(redis_.get(),
                                           {"SCARD", UserSpacesKey(dave)}));
    // An invitation to another space does not open this one.
    const NamedTokenRecord elsewhere = MakeInvitation(NewRandomId(), 0);
    ASSERT_OK(spaces.JoinWithInvitationToken(
        dave, space, NamedInvitation(elsewhere), 100, &result));
    CPPUNIT_ASSERT(result == JoinResult::kInvitationGone);
  }

  void testConcurrentJoinsNeverPassTheUsageLimit() {
    SpaceStore spaces(redis_.get());
    std::string space;
    ASSERT_OK(spaces.Create(kAliceId, "lab", 100, &space));
    const NamedTokenRecord invitation = MakeInvitation(space, 3);
    constexpr int kJoiners = 16;
    std::vector<JoinResult> results(kJoiners, JoinResult::kNoSuchSpace);
    std::vector<Status> statuses(kJoiners);
    std::vector<std::thread> threads;
    for (int i = 0; i < kJoiners; ++i) {
      threads.emplace_back([&, i] {
        RedisClient redis(config_);
        SpaceStore own(&redis);
        statuses[i] = own.JoinWithInvitationToken(
            NewRandomId(), space, NamedInvitation(invitation), 100, &results[i]);
      });
    }
    for (std::thread& thread : threads) thread.join();
    int joined = 0, refused = 0;
    for (int i = 0; i < kJoiners; ++i) {
      ASSERT_OK(statuses[i]);
      if (results[i] == JoinResult::kJoined) ++joined;
      if (results[i] == JoinResult::kUsageLimitReached) ++refused;
    }
    CPPUNIT_ASSERT_EQUAL(3, joined);
    CPPUNIT_ASSERT_EQUAL(kJoiners - 3, refused);
    CPPUNIT_ASSERT_EQUAL(int64_t{3}, UsageCount(invitation.id));
    CPPUNIT_ASSERT_EQUAL(4LL, test::RedisInteger(redis_.get(),
                                           {"SCARD", SpaceMembersKey(space)}));
  }

  void testRevokedPastGenerationAndOrphanedInvitationsAdmitNoOne() {
    NamedTokenStore store(redis_.get());
    SpaceStore spaces(redis_.get());
    std::string space;
    ASSERT_OK(spaces.Create(kAliceId, "lab", 100, &space));
    const NamedTokenRecord invitation = MakeInvitation(space, 0);
    NamedTokenUpdate revoke;
    revoke.revoked = true;
    bool found = false;
    ASSERT_OK(store.Update(kAliceId, invitation.id, revoke, &found));
    JoinResult result;
    const std::string carol = NewRandomId();
    ASSERT_OK(spaces.JoinWithInvitationToken(
        carol, space, NamedInvitation(invitation), 100, &result));
    CPPUNIT_ASSERT(result == JoinResult::kInvitationRevoked);
    // A temporary invitation of a past generation.
    InvitationToken temporary;
    temporary.creator_id = kAliceId;
    temporary.temporary = true;
    temporary.generation = 0;
    RedisReply set;
    ASSERT_OK(redis_->Run({"SET", TemporaryGenerationKey(kAliceId), "1"}, &set));
    ASSERT_OK(spaces.JoinWithInvitationToken(carol, space, temporary, 100,
                                             &result));
    CPPUNIT_ASSERT(result == JoinResult::kInvitationRevoked);
    temporary.generation = 1;
    ASSERT_OK(spaces.JoinWithInvitationToken(carol, space, temporary, 100,
                                             &result));
    CPPUNIT_ASSERT(result == JoinResult::kJoined);
    // Deleted: gone. And once alice has left, her invitations admit no one.
    const NamedTokenRecord other = MakeInvitation(space, 0);
    ASSERT_OK(store.Delete(kAliceId, invitation.id, &found));
    ASSERT_OK(spaces.JoinWithInvitationToken(
        kBobId, space, NamedInvitation(invitation), 100, &result));
    CPPUNIT_ASSERT(result == JoinResult::kInvitationGone);
    bool left = false;
    ASSERT_OK(spaces.Leave(kAliceId, space, &left));
    ASSERT_OK(spaces.JoinWithInvitationToken(
        kBobId, space, NamedInvitation(other), 100, &result));
    CPPUNIT_ASSERT(result == JoinResult::kIssuerNotOwner);
    CPPUNIT_ASSERT_EQUAL(int64_t{0}, UsageCount(other.id));
  }

  // --- issue 15: one slot per script, the index repaired -----------------

  void testUsesAreCountedInTheSpaceAndGoWithIt() {
    SpaceStore spaces(redis_.get());
    std::string space;
    ASSERT_OK(spaces.Create(kAliceId, "lab", 100, &space));
    const NamedTokenRecord invitation = MakeInvitation(space, 5);
    JoinResult result;
    ASSERT_OK(spaces.JoinWithInvitationToken(
        kBobId, space, NamedInvitation(invitation), 100, &result));
    CPPUNIT_ASSERT(result == JoinResult::kJoined);
    // In the space's slot; the record in alice's is not written.
    CPPUNIT_ASSERT_EQUAL(std::string("1"),
                         Text({"HGET", SpaceInvitationUsesKey(space),
                               invitation.id}));
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"HEXISTS",
                                       NamedTokenRecordKey(kAliceId,
                                                           invitation.id),
                                       "k"}));
    CPPUNIT_ASSERT_EQUAL(int64_t{1}, UsageCount(invitation.id));
    // An invitation without expiry has no entry to expire by.
    CPPUNIT_ASSERT_EQUAL(0LL,
                         Integer({"EXISTS", SpaceInvitationUseExpiriesKey(space)}));
    bool left = false;
    ASSERT_OK(spaces.Leave(kBobId, space, &left));
    ASSERT_OK(spaces.Leave(kAliceId, space, &left));
    CPPUNIT_ASSERT(KeysOfSpace(space).empty());
  }

  void testUsesARecordCountedBeforeStillCount() {
    SpaceStore spaces(redis_.get());
    std::string space;
    ASSERT_OK(spaces.Create(kAliceId, "lab", 100, &space));
    const NamedTokenRecord invitation = MakeInvitation(space, 3);
    // Two joins counted in the record, before the space counted them.
    Integer({"HSET", NamedTokenRecordKey(kAliceId, invitation.id), "k", "2"});
    CPPUNIT_ASSERT_EQUAL(int64_t{2}, UsageCount(invitation.id));
    JoinResult result;
    ASSERT_OK(spaces.JoinWithInvitationToken(
        kBobId, space, NamedInvitation(invitation), 100, &result));
    CPPUNIT_ASSERT(result == JoinResult::kJoined);
    CPPUNIT_ASSERT_EQUAL(int64_t{3}, UsageCount(invitation.id));
    ASSERT_OK(spaces.JoinWithInvitationToken(
        kCarolId, space, NamedInvitation(invitation), 100, &result));
    CPPUNIT_ASSERT(result == JoinResult::kUsageLimitReached);
  }

  void testUsesOfExpiredInvitationsAreDropped() {
    SpaceStore spaces(redis_.get());
    std::string space;
    ASSERT_OK(spaces.Create(kAliceId, "lab", 100, &space));
    // Uses of an invitation that has expired, as a join left them.
    const std::string uses = SpaceInvitationUsesKey(space);
    const std::string expiries = SpaceInvitationUseExpiriesKey(space);
    const std::string gone = NewRandomId();
    Integer({"HSET", uses, gone, "4"});
    Integer({"ZADD", expiries,
             std::to_string(Now() - kUseExpiryMarginSeconds - 1), gone});
    NamedTokenRecord invitation = MakeInvitation(space, 0);
    const int64_t expiry = Now() + 3600;
    Integer({"EXPIREAT", NamedTokenRecordKey(kAliceId, invitation.id),
             std::to_string(expiry)});
    JoinResult result;
    ASSERT_OK(spaces.JoinWithInvitationToken(
        kBobId, space, NamedInvitation(invitation), 100, &result));
    CPPUNIT_ASSERT(result == JoinResult::kJoined);
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"HEXISTS", uses, gone}));
    // One that expired only just now stays a while.
    const std::string recent = NewRandomId();
    Integer({"HSET", uses, recent, "1"});
    Integer({"ZADD", expiries, std::to_string(Now() - 1), recent});
    ASSERT_OK(spaces.JoinWithInvitationToken(
        kCarolId, space, NamedInvitation(invitation), 100, &result));
    CPPUNIT_ASSERT(result == JoinResult::kJoined);
    CPPUNIT_ASSERT_EQUAL(1LL, Integer({"HEXISTS", uses, recent}));
    Integer({"ZREM", expiries, recent});
    CPPUNIT_ASSERT_EQUAL(1LL, Integer({"ZCARD", expiries}));
    CPPUNIT_ASSERT_EQUAL(std::to_string(expiry),
                         Text({"ZSCORE", expiries, invitation.id}));
  }

  void testListingDropsSpacesThatNoLongerListTheUser() {
    SpaceStore spaces(redis_.get());
    std::string own, club = SpaceWithInvitations(&spaces, kBobId, {"n1"});
    ASSERT_OK(spaces.Create(kAliceId, "own", 10, &own));
    ASSERT_OK(spaces.SetDefaultSpace(kBobId, club));
    // Bob left his club, and no step after the space's ran.
    Integer({"SREM", SpaceMembersKey(club), kBobId});
    std::vector<std::string> ids;
    std::string default_space = "stale";
    ASSERT_OK(spaces.DefaultSpace(kBobId, &default_space));
    CPPUNIT_ASSERT_EQUAL(std::string(), default_space);
    ASSERT_OK(spaces.UserSpaces(kBobId, &ids, &default_space));
    CPPUNIT_ASSERT(ids.empty());
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", UserSpacesKey(kBobId)}));
    // Alice's own index is hers.
    ASSERT_OK(spaces.UserSpaces(kAliceId, &ids, &default_space));
    CPPUNIT_ASSERT(ids == std::vector<std::string>{own});
    CPPUNIT_ASSERT_EQUAL(own, default_space);
  }

  void testListingAddsTheSpaceOfAJoinWhoseIndexStepNeverRan() {
    SpaceStore spaces(redis_.get());
    std::string club = SpaceWithInvitations(&spaces, kBobId, {});
    JoinedUnlisted(kAliceId, club, Now() + 60);  // still in progress
    std::vector<std::string> ids;
    std::string default_space;
    ASSERT_OK(spaces.UserSpaces(kAliceId, &ids, &default_space));
    CPPUNIT_ASSERT(ids == std::vector<std::string>{club});
    CPPUNIT_ASSERT_EQUAL(club, default_space);
    CPPUNIT_ASSERT_EQUAL(1LL, Integer({"SISMEMBER", UserSpacesKey(kAliceId), club}));
    CPPUNIT_ASSERT_EQUAL(0LL, PlacesHeld(kAliceId));
    // A place whose join failed, lapsed, goes; one in progress stays.
    const std::string other = NewRandomId();
    Integer({"ZADD", UserSpaceReservationsKey(kAliceId),
             std::to_string(Now() - 1), SpaceReservation(other, "failed"),
             std::to_string(Now() + 60), SpaceReservation(other, "ongoing")});
    ASSERT_OK(spaces.UserSpaces(kAliceId, &ids, &default_space));
    CPPUNIT_ASSERT(ids == std::vector<std::string>{club});
    CPPUNIT_ASSERT_EQUAL(1LL, PlacesHeld(kAliceId));
  }

  void testAPlaceOfAJoinWhoseIndexStepNeverRanStaysTakenAfterItLapses() {
    SpaceStore spaces(redis_.get());
    std::string own, club = SpaceWithInvitations(&spaces, kBobId, {});
    ASSERT_OK(spaces.Create(kAliceId, "own", 2, &own));
    JoinedUnlisted(kAliceId, club, Now() - 1);
    // Alice is in two spaces: the lapsed place is the club's, not free.
    std::string refused;
    ExpectLimit(2, spaces.Create(kAliceId, "third", 2, &refused));
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", SpaceKey(refused)}));
    CPPUNIT_ASSERT_EQUAL(2LL, Integer({"SCARD", UserSpacesKey(kAliceId)}));
    CPPUNIT_ASSERT_EQUAL(0LL, PlacesHeld(kAliceId));
  }

  void testADefaultItsSpaceNoLongerListsIsNone() {
    SpaceStore spaces(redis_.get());
    std::string club = SpaceWithInvitations(&spaces, kBobId, {"n1"});
    JoinResult result = JoinResult::kNoSuchSpace;
    ASSERT_OK(spaces.Join(kAliceId, club, "n1", 10, &result));
    std::string default_space;
    ASSERT_OK(spaces.DefaultSpace(kAliceId, &default_space));
    CPPUNIT_ASSERT_EQUAL(club, default_space);
    Integer({"SREM", SpaceMembersKey(club), kAliceId});
    ASSERT_OK(spaces.DefaultSpace(kAliceId, &default_space));
    CPPUNIT_ASSERT_EQUAL(std::string(), default_space);
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"HEXISTS", UserKey(kAliceId), "default"}));
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", UserSpacesKey(kAliceId)}));
  }

  void testADefaultTheIndexMissesIsListedWhileItsSpaceListsTheUser() {
    SpaceStore spaces(redis_.get());
    std::string club = SpaceWithInvitations(&spaces, kBobId, {});
    Integer({"SADD", SpaceMembersKey(club), kAliceId});
    Integer({"HSET", UserKey(kAliceId), "default", club});
    std::vector<std::string> ids;
    std::string default_space;
    ASSERT_OK(spaces.UserSpaces(kAliceId, &ids, &default_space));
    CPPUNIT_ASSERT(ids == std::vector<std::string>{club});
    CPPUNIT_ASSERT_EQUAL(club, default_space);
    CPPUNIT_ASSERT_EQUAL(1LL, Integer({"SISMEMBER", UserSpacesKey(kAliceId), club}));
  }

  void testTheDefaultMayBeASpaceTheIndexHasNotListedYet() {
    SpaceStore spaces(redis_.get());
    std::string own, club = SpaceWithInvitations(&spaces, kBobId, {});
    ASSERT_OK(spaces.Create(kAliceId, "own", 10, &own));
    JoinedUnlisted(kAliceId, club, Now() + 60);
    ASSERT_OK(spaces.SetDefaultSpace(kAliceId, club));
    CPPUNIT_ASSERT_EQUAL(club, Text({"HGET", UserKey(kAliceId), "default"}));
    CPPUNIT_ASSERT_EQUAL(1LL, Integer({"SISMEMBER", UserSpacesKey(kAliceId), club}));
  }

  void testLeavingEverySpaceLeavesThoseOnlyAPlaceNames() {
    SpaceStore spaces(redis_.get());
    std::string own, club = SpaceWithInvitations(&spaces, kBobId, {});
    ASSERT_OK(spaces.Create(kAliceId, "own", 10, &own));
    JoinedUnlisted(kAliceId, club, Now() - 1);
    ASSERT_OK(spaces.LeaveAll(kAliceId));
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"SISMEMBER", SpaceMembersKey(club), kAliceId}));
    CPPUNIT_ASSERT(KeysOfSpace(own).empty());
    CPPUNIT_ASSERT_EQUAL(0LL, Integer({"EXISTS", UserSpacesKey(kAliceId),
                                       UserSpaceReservationsKey(kAliceId)}));
  }

  void testLeavesRacingJoinsOfOneSpaceNeverLoseTheSpaceFromTheList() {
    // Alice leaves the club and joins it again at once, from two workers,
    // round after round: whichever order their steps take, her index never
    // misses the club while she is in it, and her list (which asks the
    // spaces) names it exactly then. The index may name it after she left
    // (a join's index step after the leave's): reads drop that.
    SpaceStore spaces(redis_.get());
    std::string club = SpaceWithInvitations(&spaces, kBobId, {});
    constexpr int kRounds = 150;
    for (int round = 0; round < kRounds; ++round) {
      const std::string nonce = "r" + std::to_string(round);
      ASSERT_OK(spaces.AddInvitation(club, kBobId, nonce, Now() + 3600, 1000));
      Status join_status, leave_status;
      std::thread joiner([&] {
        RedisClient redis(config_);
        SpaceStore own(&redis);
        JoinResult result;
        join_status = own.Join(kAliceId, club, nonce, 10, &result);
      });
      std::thread leaver([&] {
        RedisClient redis(config_);
        SpaceStore own(&redis);
        bool left = false;
        leave_status = own.Leave(kAliceId, club, &left);
      });
      joiner.join();
      leaver.join();
      ASSERT_OK(join_status);
      ASSERT_OK(leave_status);
      const std::string where = "round " + std::to_string(round);
      const bool member =
          Integer({"SISMEMBER", SpaceMembersKey(club), kAliceId}) == 1;
      if (member) {
        CPPUNIT_ASSERT_MESSAGE(
            where, Integer({"SISMEMBER", UserSpacesKey(kAliceId), club}) == 1);
      }
      std::vector<std::string> ids;
      std::string default_space;
      ASSERT_OK(spaces.UserSpaces(kAliceId, &ids, &default_space));
      CPPUNIT_ASSERT_EQUAL_MESSAGE(where, member, ids == std::vector<std::string>{club});
    }
  }

 private:
  // A space of `owner` with the invitations `nonces`, pending for an hour.
  std::string SpaceWithInvitations(SpaceStore* spaces, const std::string& owner,
                                   const std::vector<std::string>& nonces) {
    std::string id;
    ASSERT_OK(spaces->Create(owner, "club", 1000, &id));
    for (const std::string& nonce : nonces) {
      ASSERT_OK(spaces->AddInvitation(id, owner, nonce, Now() + 3600, 1000));
    }
    return id;
  }

  // What a join whose index step never ran leaves (its process died): the
  // user a member, and a place held for the space until `deadline`.
  void JoinedUnlisted(const std::string& user_id, const std::string& space_id,
                      int64_t deadline) {
    Integer({"SADD", SpaceMembersKey(space_id), user_id});
    Integer({"ZADD", SpaceJoinOrderKey(space_id),
             std::to_string(Integer({"HINCRBY", SpaceKey(space_id), "joins", "1"})),
             user_id});
    Integer({"ZADD", UserSpaceReservationsKey(user_id), std::to_string(deadline),
             SpaceReservation(space_id, NewRandomId())});
  }

  // Places among the user's spaces that requests hold (none once every
  // request is answered).
  long long PlacesHeld(const std::string& user_id) {
    return Integer({"ZCARD", UserSpaceReservationsKey(user_id)});
  }

  // 403 forbidden with details.limit = `limit`, a number.
  void ExpectLimit(int limit, const Status& status) {
    ASSERT_CODE(Code::kForbidden, status);
    const std::vector<Status::Detail>& details = status.details();
    CPPUNIT_ASSERT_EQUAL(size_t{1}, details.size());
    CPPUNIT_ASSERT_EQUAL(std::string("limit"), details[0].key);
    CPPUNIT_ASSERT_EQUAL(std::to_string(limit), details[0].value);
    CPPUNIT_ASSERT(details[0].number);
  }

  // Every key of the space (SCAN, as `redis-cli --scan` does).
  std::vector<std::string> KeysOfSpace(const std::string& space_id) {
    std::vector<std::string> keys;
    std::string cursor = "0";
    do {
      RedisReply reply;
      ASSERT_OK(redis_->Run({"SCAN", cursor, "MATCH",
                             "oz:{s:" + space_id + "}*", "COUNT", "1000"},
                            &reply));
      CPPUNIT_ASSERT_EQUAL(size_t{2}, reply.elements.size());
      cursor = reply.elements[0].text;
      for (const RedisReply& key : reply.elements[1].elements) {
        keys.push_back(key.text);
      }
    } while (cursor != "0");
    return keys;
  }

  const std::string kAliceId = std::string(32, 'a');
  const std::string kBobId = std::string(32, 'b');
  const std::string kCarolId = std::string(32, 'c');
  const std::string kDaveId = std::string(32, 'd');
  const std::string kEveId = std::string(32, 'e');

  std::string Text(const RedisCommand& command) {
    return test::RedisText(redis_.get(), command);
  }
  long long Integer(const RedisCommand& command) {
    return test::RedisInteger(redis_.get(), command);
  }

  Config config_;
  std::unique_ptr<RedisClient> redis_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(SpaceStoreTest);

}  // namespace tokend
