// Unit tests for KeysWritten: which keys a write changes, whose marks the
// writers' invalidation barrier asks (redis_client.h). A key it does
// not name is a revocation a cache could miss, so whatever it does not
// know must say so.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include <string>
#include <vector>

#include "tokend/store/redis_commands.h"

namespace tokend {
namespace {

using Keys = std::vector<std::string>;

class RedisCommandsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RedisCommandsTest);
  CPPUNIT_TEST(testPlainWritesNameTheirKeys);
  CPPUNIT_TEST(testReadsAndTransactionMarkersChangeNoKey);
  CPPUNIT_TEST(testAScriptsKeysAreUnknown);
  CPPUNIT_TEST(testWhatItDoesNotKnowIsUnknown);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testPlainWritesNameTheirKeys() {
    Keys keys;
    CPPUNIT_ASSERT(KeysWritten({"SET", "oz:a", "1", "EX", "9"}, &keys));
    CPPUNIT_ASSERT(KeysWritten({"DEL", "oz:b", "oz:c"}, &keys));
    CPPUNIT_ASSERT(KeysWritten({"RENAME", "oz:d", "oz:e"}, &keys));
    CPPUNIT_ASSERT(KeysWritten({"hset", "oz:f", "name", "x"}, &keys));
    CPPUNIT_ASSERT(KeysWritten({"INCR", "oz:g"}, &keys));
    CPPUNIT_ASSERT(
        Keys({"oz:a", "oz:b", "oz:c", "oz:d", "oz:e", "oz:f", "oz:g"}) == keys);
  }

  void testReadsAndTransactionMarkersChangeNoKey() {
    Keys keys;
    CPPUNIT_ASSERT(KeysWritten({"GET", "oz:a"}, &keys));
    CPPUNIT_ASSERT(KeysWritten({"HMGET", "oz:a", "name"}, &keys));
    CPPUNIT_ASSERT(KeysWritten({"MULTI"}, &keys));
    CPPUNIT_ASSERT(KeysWritten({"EXEC"}, &keys));
    CPPUNIT_ASSERT(KeysWritten({"CLIENT", "CACHING", "yes"}, &keys));
    CPPUNIT_ASSERT(keys.empty());
  }

  void testAScriptsKeysAreUnknown() {
    // It may write fewer keys than it declares, or build key names: only
    // its caller knows (RedisClient::RunChanging).
    Keys keys;
    CPPUNIT_ASSERT(!KeysWritten({"EVALSHA", "0123", "1", "oz:a"}, &keys));
    CPPUNIT_ASSERT(!KeysWritten({"EVAL", "return 1", "0"}, &keys));
    CPPUNIT_ASSERT(keys.empty());
  }

  void testWhatItDoesNotKnowIsUnknown() {
    Keys keys;
    CPPUNIT_ASSERT(!KeysWritten({"FLUSHALL"}, &keys));
    CPPUNIT_ASSERT(!KeysWritten({"SWAPDB", "0", "1"}, &keys));
    CPPUNIT_ASSERT(!KeysWritten({"LPUSH", "oz:a", "x"}, &keys));
    CPPUNIT_ASSERT(!KeysWritten({"SET"}, &keys));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisCommandsTest);

}  // namespace
}  // namespace tokend
