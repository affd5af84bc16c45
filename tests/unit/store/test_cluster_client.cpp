// Unit tests for cluster_client.h through RedisClient, against a real Redis
// Cluster of three primaries (redis_cluster.h): routing by slot, MOVED after
// a slot moved, ASK during a migration, a transaction on its keys' node,
// scripts loaded on each node on demand, SCAN over every primary, and 503
// for a slot nobody serves or a primary gone.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include <algorithm>
#include <set>
#include <string>

#include "../redis_cluster.h"
#include "../status_asserts.h"
#include "tokend/store/key_slot.h"
#include "tokend/store/redis_client.h"
#include "tokend/store/store_keys.h"
#include "tokend/store/user_store.h"

namespace tokend {
namespace {

class ClusterClientTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ClusterClientTest);
  CPPUNIT_TEST(testAPipelineOverEveryPrimaryGivesEveryReplyInOrder);
  CPPUNIT_TEST(testAMovedSlotIsFollowed);
  CPPUNIT_TEST(testAskIsFollowedDuringAMigration);
  CPPUNIT_TEST(testATransactionRunsOnItsKeysPrimary);
  CPPUNIT_TEST(testScriptsAreLoadedOnEachNodeOnDemand);
  CPPUNIT_TEST(testScanKeysVisitsEveryPrimary);
  CPPUNIT_TEST(testASlotNobodyServesIsUnavailableAndTheRestServe);
  CPPUNIT_TEST(testAPrimaryGoneIsUnavailableAndTheRestServe);
  CPPUNIT_TEST(testUsersSpreadOverThePrimariesAreAddedListedAndDeleted);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    cluster_.Start(3);
    config_.redis = cluster_.Seeds(1);  // one seed: the rest from its map
    config_.redis_retry_ms = 300;
    client_ = std::make_unique<RedisClient>(config_);
  }

  void tearDown() override {
    client_.reset();
    cluster_.Stop();
  }

  void testAPipelineOverEveryPrimaryGivesEveryReplyInOrder() {
    std::vector<RedisCommand> sets, gets;
    std::vector<std::string> keys;
    for (int i = 0; i < 30; ++i) {
      keys.push_back(cluster_.KeyOnNode(i % 3, "pipe:", i / 3));
      sets.push_back({"SET", keys.back(), "v" + std::to_string(i)});
      gets.push_back({"GET", keys.back()});
    }
    std::vector<RedisReply> replies;
    ASSERT_OK(client_->Pipeline(sets, &replies));
    CPPUNIT_ASSERT_EQUAL(sets.size(), replies.size());
    ASSERT_OK(client_->Pipeline(gets, &replies));
    for (int i = 0; i < 30; ++i) {
      CPPUNIT_ASSERT_EQUAL("v" + std::to_string(i), replies[i].text);
      // Each on the node serving its slot, and only there.
      CPPUNIT_ASSERT_EQUAL("v" + std::to_string(i),
                           cluster_.Call(i % 3, {"GET", keys[i]}).text);
    }
  }

  void testAMovedSlotIsFollowed() {
    const std::string key = cluster_.KeyOnNode(0, "moved:");
    RedisReply reply;
    ASSERT_OK(client_->Run({"SET", key, "before"}, &reply));  // map read
    MoveSlot(KeySlot(key), 0, 2, {key});
    ASSERT_OK(client_->Run({"GET", key}, &reply));
    CPPUNIT_ASSERT_EQUAL(std::string("before"), reply.text);
    ASSERT_OK(client_->Run({"SET", key, "after"}, &reply));
    CPPUNIT_ASSERT_EQUAL(std::string("after"), cluster_.Call(2, {"GET", key}).text);
  }

  void testAskIsFollowedDuringAMigration() {
    const std::string moved = cluster_.KeyOnNode(1, "ask:");
    const int slot = KeySlot(moved);
    std::string stays, fresh;
    for (int i = 0; stays.empty() || fresh.empty(); ++i) {
      const std::string key = "{" + std::string(HashTagOf(moved)) + "}" + std::to_string(i);
      if (KeySlot(key) != slot) continue;
      (stays.empty() ? stays : fresh) = key;
    }
    RedisReply reply;
    ASSERT_OK(client_->Pipeline({{"SET", moved, "m"}, {"SET", stays, "s"}}, &replies_));
    // Half way: `moved` is at node 2 already, `stays` still at node 1.
    cluster_.Call(2, {"CLUSTER", "SETSLOT", std::to_string(slot), "IMPORTING",
                      cluster_.Id(1)});
    cluster_.Call(1, {"CLUSTER", "SETSLOT", std::to_string(slot), "MIGRATING",
                      cluster_.Id(2)});
    cluster_.Call(1, {"MIGRATE", "127.0.0.1", std::to_string(cluster_.port(2)),
                      moved, "0", "5000"});
    ASSERT_OK(client_->Run({"GET", moved}, &reply));
    CPPUNIT_ASSERT_EQUAL(std::string("m"), reply.text);
    ASSERT_OK(client_->Run({"GET", stays}, &reply));
    CPPUNIT_ASSERT_EQUAL(std::string("s"), reply.text);
    // A new key of a migrating slot is made at the target.
    ASSERT_OK(client_->Run({"SET", fresh, "f"}, &reply));
    // ASK moved nothing for good: node 1 still owns the slot in the map.
    ASSERT_OK(client_->Run({"GET", stays}, &reply));
    CPPUNIT_ASSERT_EQUAL(std::string("s"), reply.text);
    // The migration done, node 2 holds all three.
    cluster_.Call(1, {"MIGRATE", "127.0.0.1", std::to_string(cluster_.port(2)),
                      stays, "0", "5000"});
    for (int node = 0; node < 3; ++node) {
      cluster_.Call(node, {"CLUSTER", "SETSLOT", std::to_string(slot), "NODE",
                           cluster_.Id(2)});
    }
    CPPUNIT_ASSERT_EQUAL(std::string("m"), cluster_.Call(2, {"GET", moved}).text);
    CPPUNIT_ASSERT_EQUAL(std::string("s"), cluster_.Call(2, {"GET", stays}).text);
    CPPUNIT_ASSERT_EQUAL(std::string("f"), cluster_.Call(2, {"GET", fresh}).text);
  }

  void testATransactionRunsOnItsKeysPrimary() {
    const std::string key = cluster_.KeyOnNode(2, "{tx}:");
    const std::string tag = "{" + std::string(HashTagOf(key)) + "}";
    std::vector<RedisReply> replies;
    ASSERT_OK(client_->Transaction({{"SET", tag + "a", "1"}, {"INCR", tag + "a"},
                                    {"SET", tag + "b", "x"}},
                                   &replies));
    CPPUNIT_ASSERT_EQUAL(size_t{3}, replies.size());
    CPPUNIT_ASSERT_EQUAL(2LL, replies[1].integer);
    const int node = cluster_.NodeOfSlot(KeySlot(tag));
    CPPUNIT_ASSERT_EQUAL(std::string("2"), cluster_.Call(node, {"GET", tag + "a"}).text);
  }

  void testScriptsAreLoadedOnEachNodeOnDemand() {
    const std::string script = "return redis.call('INCR', KEYS[1])";
    for (int node = 0; node < 3; ++node) {
      const std::string key = cluster_.KeyOnNode(node, "script:");
      RedisReply reply;
      ASSERT_OK(client_->Run({"EVAL", script, "1", key}, &reply));
      CPPUNIT_ASSERT_EQUAL(1LL, reply.integer);
      ASSERT_OK(client_->Run({"EVAL", script, "1", key}, &reply));
      CPPUNIT_ASSERT_EQUAL(2LL, reply.integer);
    }
  }

  void testScanKeysVisitsEveryPrimary() {
    std::set<std::string> written;
    std::vector<RedisCommand> sets;
    for (int i = 0; i < 300; ++i) {
      written.insert("scan:" + std::to_string(i));
      sets.push_back({"SET", "scan:" + std::to_string(i), "1"});
    }
    ASSERT_OK(client_->Pipeline(sets, &replies_));
    ASSERT_OK(client_->Run({"SET", "other:1", "1"}, &reply_));
    std::set<std::string> seen;
    ASSERT_OK(client_->ScanKeys("scan:*", [&](const std::vector<std::string>& keys) {
      seen.insert(keys.begin(), keys.end());
      return Status::Ok();
    }));
    CPPUNIT_ASSERT(written == seen);
  }

  void testASlotNobodyServesIsUnavailableAndTheRestServe() {
    const std::string lost = cluster_.KeyOnNode(1, "hole:");
    const std::string kept = cluster_.KeyOnNode(0, "hole:");
    ASSERT_OK(client_->Run({"SET", kept, "k"}, &reply_));
    for (int node = 0; node < 3; ++node) {
      cluster_.Call(node, {"CLUSTER", "DELSLOTS", std::to_string(KeySlot(lost))});
    }
    Status status = client_->Run({"GET", lost}, &reply_);
    CPPUNIT_ASSERT_EQUAL(Code::kServiceUnavailable, status.code());
    ASSERT_OK(client_->Run({"GET", kept}, &reply_));
    CPPUNIT_ASSERT_EQUAL(std::string("k"), reply_.text);
  }

  void testAPrimaryGoneIsUnavailableAndTheRestServe() {
    const std::string lost = cluster_.KeyOnNode(2, "gone:");
    const std::string kept = cluster_.KeyOnNode(0, "gone:");
    ASSERT_OK(client_->Pipeline({{"SET", lost, "l"}, {"SET", kept, "k"}}, &replies_));
    cluster_.StopNode(2);
    Status status = client_->Pipeline({{"GET", kept}, {"GET", lost}}, &replies_);
    CPPUNIT_ASSERT_EQUAL(Code::kServiceUnavailable, status.code());
    ASSERT_OK(client_->Run({"GET", kept}, &reply_));
    CPPUNIT_ASSERT_EQUAL(std::string("k"), reply_.text);
  }

  // The user store on a real cluster: names and records in slots of
  // every primary, listed by a SCAN of each.
  void testUsersSpreadOverThePrimariesAreAddedListedAndDeleted() {
    UserStore users(client_.get());
    std::vector<std::string> names;
    std::set<int> nodes;
    // Ids are random: add users until every primary holds some (12 at
    // least; 60 leave them all on two primaries once in 10^10).
    for (int i = 0; i < 60 && (i < 12 || nodes.size() < 3); ++i) {
      UserRecord user;
      names.push_back("user" + std::to_string(i));
      ASSERT_OK(users.Add(names.back(), "$h", &user));
      nodes.insert(cluster_.NodeOfSlot(KeySlot(UserKey(user.id))));
    }
    CPPUNIT_ASSERT_EQUAL(size_t{3}, nodes.size());
    std::vector<std::string> listed;
    ASSERT_OK(users.ListNames(&listed));
    std::sort(names.begin(), names.end());
    CPPUNIT_ASSERT(names == listed);
    UserRecord user;
    CPPUNIT_ASSERT_EQUAL(Code::kAlreadyExists, users.Add("user3", "$h", &user).code());
    ASSERT_OK(users.Delete("user3"));
    bool found = true;
    ASSERT_OK(users.FindByName("user3", &user, &found));
    CPPUNIT_ASSERT(!found);
    ASSERT_OK(users.ListNames(&listed));
    CPPUNIT_ASSERT_EQUAL(names.size() - 1, listed.size());
    ASSERT_OK(users.Add("user3", "$h2", &user));
    ASSERT_OK(users.FindByName("user3", &user, &found));
    CPPUNIT_ASSERT(found);
    CPPUNIT_ASSERT_EQUAL(std::string("$h2"), user.password_hash);
  }

 private:
  // Moves `slot` from node `from` to node `to` with its keys, the way
  // redis-cli --cluster reshard does, and tells every node.
  void MoveSlot(int slot, int from, int to, const std::vector<std::string>& keys) {
    const std::string number = std::to_string(slot);
    cluster_.Call(to, {"CLUSTER", "SETSLOT", number, "IMPORTING", cluster_.Id(from)});
    cluster_.Call(from, {"CLUSTER", "SETSLOT", number, "MIGRATING", cluster_.Id(to)});
    for (const std::string& key : keys) {
      cluster_.Call(from, {"MIGRATE", "127.0.0.1", std::to_string(cluster_.port(to)),
                           key, "0", "5000"});
    }
    const std::string owner = cluster_.Id(to);
    for (int node = 0; node < cluster_.size(); ++node) {
      cluster_.Call(node, {"CLUSTER", "SETSLOT", number, "NODE", owner});
    }
  }

  test::LocalCluster cluster_;
  Config config_;
  std::unique_ptr<RedisClient> client_;
  std::vector<RedisReply> replies_;
  RedisReply reply_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ClusterClientTest);

}  // namespace
}  // namespace tokend
