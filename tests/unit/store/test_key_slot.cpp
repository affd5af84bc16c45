// Unit tests for key_slot.h: CRC16 and hash tags as the Redis Cluster
// specification gives them, the known vectors of its text, and every key
// layout of this service checked against a real cluster-enabled
// redis-server's CLUSTER KEYSLOT.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "../redis_server.h"
#include "../temporary_directory.h"
#include "tokend/store/key_slot.h"
#include "tokend/store/store_keys.h"

namespace tokend {
namespace {

class KeySlotTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(KeySlotTest);
  CPPUNIT_TEST(testCrc16OfTheCheckStringIs31C3);
  CPPUNIT_TEST(testHashTagsAsTheSpecificationGivesThem);
  CPPUNIT_TEST(testKeysOfOneUserShareTheirSlot);
  CPPUNIT_TEST(testSlotsAgreeWithARealClusterNode);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testCrc16OfTheCheckStringIs31C3() {
    // The specification's reference: CRC16/XMODEM("123456789") = 0x31C3.
    CPPUNIT_ASSERT_EQUAL(0x31C3, static_cast<int>(Crc16("123456789")));
    CPPUNIT_ASSERT_EQUAL(0, static_cast<int>(Crc16("")));
    CPPUNIT_ASSERT_EQUAL(12182, KeySlot("foo"));
  }

  void testHashTagsAsTheSpecificationGivesThem() {
    // Its examples: the first '{' and the first '}' after it.
    CPPUNIT_ASSERT_EQUAL(std::string("user1000"),
                         std::string(HashTagOf("{user1000}.following")));
    CPPUNIT_ASSERT_EQUAL(KeySlot("{user1000}.following"),
                         KeySlot("{user1000}.followers"));
    CPPUNIT_ASSERT_EQUAL(std::string("bar"),
                         std::string(HashTagOf("foo{bar}{zap}")));
    CPPUNIT_ASSERT_EQUAL(std::string("{bar"),
                         std::string(HashTagOf("foo{{bar}}zap")));
    // An empty tag, or no closing brace: the whole key.
    CPPUNIT_ASSERT_EQUAL(std::string("foo{}{bar}"),
                         std::string(HashTagOf("foo{}{bar}")));
    CPPUNIT_ASSERT_EQUAL(std::string("foo{bar"), std::string(HashTagOf("foo{bar")));
    CPPUNIT_ASSERT_EQUAL(KeySlot("bar"), KeySlot("foo{bar}{zap}"));
  }

  void testKeysOfOneUserShareTheirSlot() {
    const std::string user = "0123456789abcdef0123456789abcdef";
    const int slot = KeySlot(UserKey(user));
    for (const std::string& key :
         {TokenListKey(user), NamedTokenListKey(user), NamedTokenNamesKey(user),
          UserSpacesKey(user), TemporaryGenerationKey(user),
          LoginFailuresKey(user), TrustedAddressesKey(user)}) {
      CPPUNIT_ASSERT_EQUAL_MESSAGE(key, slot, KeySlot(key));
    }
  }

  void testSlotsAgreeWithARealClusterNode() {
    test::TemporaryDirectory dir;  // removed when the test ends
    const std::string state = dir.Create("tokend-key-slot");
    {
      test::RedisServer server;
      server.Start(state, {"--cluster-enabled", "yes", "--cluster-config-file",
                           state + "/nodes.conf"});
      Config config;
      config.redis = "unix:" + server.socket();
      RedisClient redis(config);
      const std::string user = "fedcba9876543210fedcba9876543210";
      std::vector<std::string> keys = {
          "", "a", "foo", "123456789", "{}", "{a}", "x{}y{z}", "{{}}",
          "foo{{bar}}zap", "\xff\xfe{\x01}", UserKey(user), SpaceKey(user),
          UserNameKey("alice"), InvitationKey(user, "AAECAwQFBgcICQoL")};
      for (int i = 0; i < 200; ++i) keys.push_back("key:" + std::to_string(i * 7919));
      for (const std::string& key : keys) {
        RedisReply reply;
        Status status = redis.Run({"CLUSTER", "KEYSLOT", key}, &reply);
        CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
        CPPUNIT_ASSERT_EQUAL_MESSAGE(key, static_cast<int>(reply.integer),
                                     KeySlot(key));
      }
    }
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(KeySlotTest);

}  // namespace
}  // namespace tokend
