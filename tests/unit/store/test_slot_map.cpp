// Unit tests for slot_map.h: the map read from a real cluster-enabled
// redis-server's CLUSTER SLOTS, holes, MOVED corrections, and redirect
// texts of both kinds and both address families.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "../redis_server.h"
#include "../temporary_directory.h"
#include "tokend/store/slot_map.h"

namespace tokend {
namespace {

class SlotMapTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SlotMapTest);
  CPPUNIT_TEST(testTheMapOfARealNodeServesItsRangesAndLeavesHoles);
  CPPUNIT_TEST(testMovedMovesOneSlot);
  CPPUNIT_TEST(testRedirectTexts);
  CPPUNIT_TEST(testARepliesOfAnotherShapeLeaveNoMap);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testTheMapOfARealNodeServesItsRangesAndLeavesHoles() {
    test::TemporaryDirectory dir;  // removed when the test ends
    const std::string state = dir.Create("tokend-slot-map");
    const int port = test::FreeClusterPort();
    {
      test::RedisServer server;
      server.Start(state, {"--port", std::to_string(port), "--bind", "127.0.0.1",
                           "--cluster-enabled", "yes", "--cluster-config-file",
                           state + "/nodes.conf"});
      Config config;
      config.redis = "unix:" + server.socket();
      RedisClient redis(config);
      RedisReply reply;
      CPPUNIT_ASSERT(redis.Run({"CLUSTER", "ADDSLOTSRANGE", "0", "5000",
                                "12000", "16383"}, &reply).ok());
      CPPUNIT_ASSERT(redis.Run({"CLUSTER", "SLOTS"}, &reply).ok());
      SlotMap map;
      Status status = map.Load(reply, "127.0.0.1");
      CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
      CPPUNIT_ASSERT_EQUAL(size_t{1}, map.primaries().size());
      const ClusterNode node{"127.0.0.1", port};
      for (int slot : {0, 4999, 5000, 12000, 16383}) {
        CPPUNIT_ASSERT(map.PrimaryFor(slot) != nullptr);
        CPPUNIT_ASSERT(*map.PrimaryFor(slot) == node);
      }
      CPPUNIT_ASSERT(map.PrimaryFor(5001) == nullptr);
      CPPUNIT_ASSERT(map.PrimaryFor(11999) == nullptr);
      CPPUNIT_ASSERT_EQUAL(11999 - 5001 + 1, map.holes());
      // "foo" is in slot 12182: served.
      CPPUNIT_ASSERT(map.PrimaryForKey("foo") != nullptr);
      CPPUNIT_ASSERT_EQUAL("127.0.0.1:" + std::to_string(port),
                           map.PrimaryForKey("foo")->Address());
    }
  }

  void testMovedMovesOneSlot() {
    RedisReply slots;
    slots.type = RedisReply::Type::kArray;
    RedisReply range;
    range.type = RedisReply::Type::kArray;
    RedisReply first, last, node, host, port;
    first.type = last.type = port.type = RedisReply::Type::kInteger;
    first.integer = 0;
    last.integer = 16383;
    host.type = RedisReply::Type::kString;
    host.text = "10.0.0.1";
    port.integer = 6379;
    node.type = RedisReply::Type::kArray;
    node.elements = {host, port};
    range.elements = {first, last, node};
    slots.elements = {range};
    SlotMap map;
    CPPUNIT_ASSERT(map.Load(slots, "ignored").ok());
    CPPUNIT_ASSERT_EQUAL(0, map.holes());
    CPPUNIT_ASSERT(map.ApplyMoved("MOVED 3999 10.0.0.2:6380"));
    CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.2:6380"), map.PrimaryFor(3999)->Address());
    CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.1:6379"), map.PrimaryFor(3998)->Address());
    CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.1:6379"), map.PrimaryFor(4000)->Address());
    CPPUNIT_ASSERT_EQUAL(size_t{2}, map.primaries().size());
    // An ASK redirect is for one command only: the map keeps its owner.
    CPPUNIT_ASSERT(!map.ApplyMoved("ASK 4000 10.0.0.3:6381"));
    CPPUNIT_ASSERT_EQUAL(std::string("10.0.0.1:6379"), map.PrimaryFor(4000)->Address());
  }

  void testRedirectTexts() {
    std::string kind;
    int slot = -1;
    ClusterNode node;
    CPPUNIT_ASSERT(ParseRedirect("ASK 16383 [::1]:7001", &kind, &slot, &node));
    CPPUNIT_ASSERT_EQUAL(std::string("ASK"), kind);
    CPPUNIT_ASSERT_EQUAL(16383, slot);
    CPPUNIT_ASSERT_EQUAL(std::string("::1"), node.host);
    CPPUNIT_ASSERT_EQUAL(std::string("[::1]:7001"), node.Address());
    CPPUNIT_ASSERT(ParseRedirect("MOVED 0 ::1:7002", &kind, &slot, &node));
    CPPUNIT_ASSERT_EQUAL(std::string("::1"), node.host);
    CPPUNIT_ASSERT_EQUAL(7002, node.port);
    for (const char* bad : {"MOVED", "MOVED 16384 a:1", "MOVED -1 a:1",
                            "MOVED 1 a", "MOVED 1 :1", "MOVED 1 a:0",
                            "MOVED 1 a:70000", "moved 1 a:1", "ERR MOVED 1 a:1",
                            "MOVED 1  a:1", "TRYAGAIN", "CLUSTERDOWN x"}) {
      CPPUNIT_ASSERT_MESSAGE(bad, !ParseRedirect(bad, &kind, &slot, &node));
    }
  }

  void testARepliesOfAnotherShapeLeaveNoMap() {
    RedisReply bad;
    bad.type = RedisReply::Type::kArray;
    RedisReply range;
    range.type = RedisReply::Type::kArray;
    RedisReply first, last;
    first.type = last.type = RedisReply::Type::kInteger;
    first.integer = 10;
    last.integer = 5;  // backwards
    range.elements = {first, last};
    bad.elements = {range};
    SlotMap map;
    CPPUNIT_ASSERT(!map.Load(bad, "h").ok());
    CPPUNIT_ASSERT_EQUAL(kClusterSlots, map.holes());
    RedisReply not_array;
    CPPUNIT_ASSERT(!map.Load(not_array, "h").ok());
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SlotMapTest);

}  // namespace
}  // namespace tokend
