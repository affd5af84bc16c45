// Unit tests for client-side caching of reads (TrackedReads through
// RedisClient) against a real redis-server: a read asked twice goes to
// Redis once; a write by another client drops the cached read before the
// next one; a lost invalidation connection, a lost command connection and
// a FLUSHALL empty the cache; turned off, every read goes to Redis.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "../redis_calls.h"
#include "../redis_server.h"
#include "../status_asserts.h"
#include "../temporary_directory.h"
#include "tokend/store/redis_client.h"
#include "tokend/store/tracked_reads.h"

namespace tokend {
namespace {

class TrackedReadsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(TrackedReadsTest);
  CPPUNIT_TEST(testAReadAskedTwiceGoesToRedisOnce);
  CPPUNIT_TEST(testAWriteByAnotherClientDropsTheCachedReadBeforeTheNextOne);
  CPPUNIT_TEST(testTheClientsOwnWriteDropsItsCachedRead);
  CPPUNIT_TEST(testALostInvalidationConnectionEmptiesTheCache);
  CPPUNIT_TEST(testALostCommandConnectionEmptiesTheCache);
  CPPUNIT_TEST(testFlushallEmptiesTheCache);
  CPPUNIT_TEST(testARedisRestartEmptiesTheCache);
  CPPUNIT_TEST(testOnlyAWriteOfAMarkedKeyIsFollowedByABarrier);
  CPPUNIT_TEST(testACachedReadMarksItsKeysOutsideTheAof);
  CPPUNIT_TEST(testAReadRedisRefusedToMarkIsNotKept);
  CPPUNIT_TEST(testACreatingWriteSkipsTheBarrierAndOnlyThatOne);
  CPPUNIT_TEST(testOnlyPlainOneKeyReadsAreCached);
  CPPUNIT_TEST(testRedisTracksOnlyTheKeysTheCacheKeeps);
  CPPUNIT_TEST(testZeroEntriesTurnsTheCacheOff);
  CPPUNIT_TEST(testARedisOverTcpGetsNoCacheAndNoBarrier);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    // The daemon's workers ignore SIGPIPE (worker_pool.cpp); so must a
    // process that writes to a Redis connection the server closed.
    signal(SIGPIPE, SIG_IGN);
    dir_.Create("tokend-tracked-reads");
    server_.Start(dir_.path());
    config_.redis = "unix:" + server_.socket();
    config_.redis_connect_timeout_ms = 500;
    config_.redis_command_timeout_ms = 2000;
    // Another client, as another worker or an administrator: its writes
    // and its INFO are never answered from a cache.
    other_ = std::make_unique<RedisClient>(config_);
    other_->StopCachingReads();
  }

  void tearDown() override {
    other_.reset();
    server_.Stop();
    dir_.Remove();
  }

  void testAReadAskedTwiceGoesToRedisOnce() {
    Write({"HSET", "oz:{u}:user", "name", "alice", "pw", "h"});
    Write({"SET", "oz:{u}t1", "1"});
    RedisClient redis(config_);
    const std::vector<RedisCommand> reads = {
        {"EXISTS", "oz:{u}t1"}, {"HMGET", "oz:{u}:user", "name", "pw"}};
    std::vector<RedisReply> replies;
    // (The writes above asked EXISTS of their keys' marks.)
    const long long exists_before = Calls("exists");
    ASSERT_OK(redis.Pipeline(reads, &replies));
    const long long exists_calls = Calls("exists");
    CPPUNIT_ASSERT_EQUAL(exists_before + 1, exists_calls);
    ASSERT_OK(redis.Pipeline(reads, &replies));
    CPPUNIT_ASSERT_EQUAL(exists_calls, Calls("exists"));
    CPPUNIT_ASSERT_EQUAL(1LL, Calls("hmget"));
    CPPUNIT_ASSERT_EQUAL(1LL, replies[0].integer);
    CPPUNIT_ASSERT_EQUAL(std::string("alice"), replies[1].elements[0].text);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, redis.tracked_reads()->cache().entries());
  }

  void testAWriteByAnotherClientDropsTheCachedReadBeforeTheNextOne() {
    Write({"SET", "oz:{u}t1", "1"});
    RedisClient redis(config_);
    CPPUNIT_ASSERT_EQUAL(1LL, Exists(&redis, "oz:{u}t1"));
    CPPUNIT_ASSERT_EQUAL(1LL, Exists(&redis, "oz:{u}t1"));  // cached
    // Another client revokes it: acknowledged before the next read asks.
    Write({"DEL", "oz:{u}t1"});
    CPPUNIT_ASSERT_EQUAL(0LL, Exists(&redis, "oz:{u}t1"));
    // And it comes back (a negative answer is tracked too).
    Write({"SET", "oz:{u}t1", "1"});
    CPPUNIT_ASSERT_EQUAL(1LL, Exists(&redis, "oz:{u}t1"));
    for (int round = 0; round < 50; ++round) {
      Write({"DEL", "oz:{u}t1"});
      CPPUNIT_ASSERT_EQUAL(0LL, Exists(&redis, "oz:{u}t1"));
      CPPUNIT_ASSERT_EQUAL(0LL, Exists(&redis, "oz:{u}t1"));
      Write({"SET", "oz:{u}t1", "1"});
      CPPUNIT_ASSERT_EQUAL(1LL, Exists(&redis, "oz:{u}t1"));
      CPPUNIT_ASSERT_EQUAL(1LL, Exists(&redis, "oz:{u}t1"));
    }
  }

  void testTheClientsOwnWriteDropsItsCachedRead() {
    RedisClient redis(config_);
    RedisReply reply;
    ASSERT_OK(redis.Run({"SET", "oz:k", "1"}, &reply));
    ASSERT_OK(redis.Run({"GET", "oz:k"}, &reply));
    CPPUNIT_ASSERT_EQUAL(std::string("1"), reply.text);
    ASSERT_OK(redis.Run({"EVAL", "return redis.call('SET', KEYS[1], '2')", "1",
                         "oz:k"},
                        &reply));
    ASSERT_OK(redis.Run({"GET", "oz:k"}, &reply));
    CPPUNIT_ASSERT_EQUAL(std::string("2"), reply.text);
  }

  void testALostInvalidationConnectionEmptiesTheCache() {
    Write({"SET", "oz:k", "old"});
    RedisClient redis(config_);
    CPPUNIT_ASSERT_EQUAL(std::string("old"), Get(&redis, "oz:k"));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, redis.tracked_reads()->cache().entries());
    const long long listener = redis.tracked_reads()->listener().client_id();
    Write({"CLIENT", "KILL", "ID", std::to_string(listener)});
    // No invalidation can reach the client now: this change is told to no
    // one, and only emptying the cache keeps it from answering "old".
    Write({"SET", "oz:k", "new"});
    CPPUNIT_ASSERT_EQUAL(std::string("new"), Get(&redis, "oz:k"));
    // It subscribed again, and tracks towards the new subscription.
    CPPUNIT_ASSERT(redis.tracked_reads()->listener().client_id() != listener);
    Write({"SET", "oz:k", "newer"});
    CPPUNIT_ASSERT_EQUAL(std::string("newer"), Get(&redis, "oz:k"));
  }

  void testALostCommandConnectionEmptiesTheCache() {
    Write({"SET", "oz:k", "old"});
    RedisClient redis(config_);
    CPPUNIT_ASSERT_EQUAL(std::string("old"), Get(&redis, "oz:k"));
    RedisReply id;
    ASSERT_OK(redis.Run({"CLIENT", "ID"}, &id));
    // Redis forgets what a closed connection read: no invalidation comes.
    Write({"CLIENT", "KILL", "ID", std::to_string(id.integer)});
    Write({"SET", "oz:k", "new"});
    CPPUNIT_ASSERT_EQUAL(std::string("new"), Get(&redis, "oz:k"));
    Write({"SET", "oz:k", "newer"});
    CPPUNIT_ASSERT_EQUAL(std::string("newer"), Get(&redis, "oz:k"));
  }

  void testFlushallEmptiesTheCache() {
    Write({"SET", "oz:a", "1"});
    Write({"SET", "oz:b", "2"});
    RedisClient redis(config_);
    CPPUNIT_ASSERT_EQUAL(std::string("1"), Get(&redis, "oz:a"));
    CPPUNIT_ASSERT_EQUAL(std::string("2"), Get(&redis, "oz:b"));
    CPPUNIT_ASSERT_EQUAL(size_t{2}, redis.tracked_reads()->cache().entries());
    Write({"FLUSHALL"});
    RedisReply reply;
    ASSERT_OK(redis.Run({"GET", "oz:a"}, &reply));
    CPPUNIT_ASSERT(reply.is_nil());
    CPPUNIT_ASSERT(redis.tracked_reads()->cache().Find({"GET", "oz:b"}) ==
                   nullptr);
  }

  void testARedisRestartEmptiesTheCache() {
    Write({"SET", "oz:k", "old"});
    RedisClient redis(config_);
    CPPUNIT_ASSERT_EQUAL(std::string("old"), Get(&redis, "oz:k"));
    CPPUNIT_ASSERT_EQUAL(std::string("old"), Get(&redis, "oz:k"));
    // The test server keeps nothing on disk: it comes back empty, and no
    // invalidation says so; both connections see the restart.
    server_.Stop();
    server_.Start(dir_.path());
    RedisReply reply;
    ASSERT_OK(redis.Run({"GET", "oz:k"}, &reply));
    CPPUNIT_ASSERT(reply.is_nil());
    Write({"SET", "oz:k", "new"});
    CPPUNIT_ASSERT_EQUAL(std::string("new"), Get(&redis, "oz:k"));
  }

  void testOnlyAWriteOfAMarkedKeyIsFollowedByABarrier() {
    // Redis may write a write's reply out before the invalidations it
    // caused; it reads the PING after only once they went out. A write
    // owes it when a cache may hold a key it changed: one whose mark a
    // cached read left, or any key of a script that may build key names.
    // A client with its cache off still sends it, for the others' caches.
    Write({"SET", "oz:k", "1"});
    RedisClient reader(config_);
    CPPUNIT_ASSERT_EQUAL(std::string("1"), Get(&reader, "oz:k"));
    RedisClient writer(config_);
    writer.StopCachingReads();
    RedisReply reply;
    const RedisCommand script = {"EVAL", "return redis.call('DEL', KEYS[1])",
                                 "1", "oz:unread"};
    const RedisCommand reading = {
        "EVAL", "redis.call('GET', KEYS[2]) return redis.call('DEL', KEYS[1])",
        "2", "oz:unread", "oz:k"};
    ASSERT_OK(writer.Run(script, &reply));  // Redis knows them from now on
    ASSERT_OK(writer.Run(reading, &reply));
    const long long before = Calls("ping");
    ASSERT_OK(writer.Run({"SET", "oz:unread", "1"}, &reply));
    ASSERT_OK(writer.Run({"DEL", "oz:unread", "oz:other"}, &reply));
    CPPUNIT_ASSERT_EQUAL(before, Calls("ping"));
    ASSERT_OK(writer.Run({"SET", "oz:k", "2"}, &reply));
    CPPUNIT_ASSERT_EQUAL(before + 1, Calls("ping"));
    CPPUNIT_ASSERT_EQUAL(std::string("2"), Get(&reader, "oz:k"));
    ASSERT_OK(writer.Run({"DEL", "oz:unread", "oz:k"}, &reply));
    CPPUNIT_ASSERT_EQUAL(before + 2, Calls("ping"));
    ASSERT_OK(writer.Run(script, &reply));
    CPPUNIT_ASSERT_EQUAL(before + 3, Calls("ping"));
    // ...unless its caller names what it changes: then as plain commands.
    ASSERT_OK(writer.RunChanging(script, {"oz:unread"}, &reply));
    CPPUNIT_ASSERT_EQUAL(before + 3, Calls("ping"));
    ASSERT_OK(writer.Run(reading, &reply));  // for all it knows, oz:k too
    CPPUNIT_ASSERT_EQUAL(before + 4, Calls("ping"));
    ASSERT_OK(writer.RunChanging(reading, {"oz:unread"}, &reply));
    CPPUNIT_ASSERT_EQUAL(before + 4, Calls("ping"));  // oz:k only read
    Get(&reader, "oz:unread");  // read (nil) and marked
    ASSERT_OK(writer.RunChanging(script, {"oz:unread"}, &reply));
    CPPUNIT_ASSERT_EQUAL(before + 5, Calls("ping"));
    // A transaction's keys are its commands'.
    std::vector<RedisReply> replies;
    ASSERT_OK(writer.Transaction({{"SET", "oz:other", "1"}}, &replies));
    CPPUNIT_ASSERT_EQUAL(before + 5, Calls("ping"));
    ASSERT_OK(writer.Transaction({{"SET", "oz:k", "3"}}, &replies));
    CPPUNIT_ASSERT_EQUAL(before + 6, Calls("ping"));
    // A read: none.
    ASSERT_OK(writer.Run({"GET", "oz:k"}, &reply));
    CPPUNIT_ASSERT_EQUAL(before + 6, Calls("ping"));
    // No cache anywhere (read_cache_entries 0): no barrier either.
    Config off = config_;
    off.read_cache_entries = 0;
    RedisClient uncached(off);
    ASSERT_OK(uncached.Run({"SET", "oz:k", "4"}, &reply));
    CPPUNIT_ASSERT_EQUAL(before + 6, Calls("ping"));
  }

  void testACachedReadMarksItsKeysOutsideTheAof() {
    // The mark outlives the cached read; writing it to the AOF would cost
    // each read that misses an fsync (appendfsync always).
    RedisReply reply;
    // always: each turn's writes are in the file before its replies go
    // out (everysec may put a write off while a background fsync runs).
    Write({"CONFIG", "SET", "appendfsync", "always"});
    Write({"CONFIG", "SET", "appendonly", "yes"});
    Write({"SET", "oz:k", "1"});
    RedisClient redis(config_);
    Get(&redis, "oz:k");  // connected, scripts known: what follows is the mark
    Write({"DEL", "oz:cached:oz:k"});
    const long long size = AofSizeOnceWritten();
    CPPUNIT_ASSERT_EQUAL(size_t{1}, redis.tracked_reads()->cache().entries());
    Write({"SET", "oz:x", "1"});  // no cache holds it; written out
    const long long with_write = AofSizeOnceWritten();
    CPPUNIT_ASSERT(with_write > size);
    redis.tracked_reads()->cache().Clear();
    CPPUNIT_ASSERT_EQUAL(std::string("1"), Get(&redis, "oz:k"));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, redis.tracked_reads()->cache().entries());
    ASSERT_OK(other_->Run({"TTL", "oz:cached:oz:k"}, &reply));
    CPPUNIT_ASSERT(reply.integer > kCacheMarkSeconds - 60 &&
                   reply.integer <= kCacheMarkSeconds);
    CPPUNIT_ASSERT_EQUAL(with_write, AofSizeOnceWritten());
  }

  void testAReadRedisRefusedToMarkIsNotKept() {
    // Unmarked, a kept read would let a write skip its barrier: a Redis out
    // of memory (noeviction) refuses the mark, and the read is not kept.
    Write({"SET", "oz:k", "1"});
    RedisClient redis(config_);
    Get(&redis, "oz:other");  // connected and tracking: only the mark fails
    Write({"CONFIG", "SET", "maxmemory", "1"});
    const long long before = Calls("get");
    CPPUNIT_ASSERT_EQUAL(std::string("1"), Get(&redis, "oz:k"));
    CPPUNIT_ASSERT_EQUAL(std::string("1"), Get(&redis, "oz:k"));
    CPPUNIT_ASSERT_EQUAL(before + 2, Calls("get"));
    CPPUNIT_ASSERT(redis.tracked_reads()->cache().Find({"GET", "oz:k"}) ==
                   nullptr);
    Write({"CONFIG", "SET", "maxmemory", "0"});
    CPPUNIT_ASSERT_EQUAL(std::string("1"), Get(&redis, "oz:k"));
    CPPUNIT_ASSERT(redis.tracked_reads()->cache().Find({"GET", "oz:k"}) !=
                   nullptr);
  }

  void testACreatingWriteSkipsTheBarrierAndOnlyThatOne() {
    // A write of only fresh keys owes no cache an invalidation; the next
    // write that may change a cached key waits for its barrier again.
    RedisClient redis(config_);
    RedisReply reply;
    const RedisCommand del = {"EVAL", "return redis.call('DEL', KEYS[1])", "1",
                              "oz:new"};
    ASSERT_OK(redis.Run(del, &reply));  // Redis knows it from now on
    const long long before = Calls("ping");
    ASSERT_OK(redis.RunCreating(
        {"EVAL", "return redis.call('SET', KEYS[1], '1')", "1", "oz:new"},
        &reply));
    CPPUNIT_ASSERT_EQUAL(before, Calls("ping"));
    ASSERT_OK(redis.Run(del, &reply));
    CPPUNIT_ASSERT_EQUAL(before + 1, Calls("ping"));
  }

  void testOnlyPlainOneKeyReadsAreCached() {
    CPPUNIT_ASSERT(TrackedReads::Cacheable({{"EXISTS", "oz:a"},
                                            {"HMGET", "oz:b", "name", "pw"},
                                            {"GET", "oz:c"}}));
    CPPUNIT_ASSERT(!TrackedReads::Cacheable({}));
    CPPUNIT_ASSERT(!TrackedReads::Cacheable({{"EXISTS", "oz:a", "oz:b"}}));
    CPPUNIT_ASSERT(!TrackedReads::Cacheable({{"GET", "oz:a"}, {"SET", "oz:a", "1"}}));
    CPPUNIT_ASSERT(!TrackedReads::Cacheable({{"ZRANGE", "oz:a", "0", "-1"}}));
    CPPUNIT_ASSERT(!TrackedReads::Cacheable({{"EVAL", "return 1", "0"}}));
  }

  void testARedisOverTcpGetsNoCacheAndNoBarrier() {
    // Over TCP (another host, a tunnel) an invalidation may still be on the
    // wire when the barrier's answer arrives: no cache there.
    std::filesystem::create_directory(dir_.path() + "/tcp");
    const int port = test::FreeClusterPort();
    test::RedisServer tcp;
    tcp.Start(dir_.path() + "/tcp", {"--port", std::to_string(port), "--bind",
                              "127.0.0.1"});
    Config config = config_;
    config.redis = "127.0.0.1:" + std::to_string(port);
    RedisClient redis(config);
    CPPUNIT_ASSERT(redis.tracked_reads() == nullptr);
    RedisReply reply;
    ASSERT_OK(redis.Run({"CONFIG", "RESETSTAT"}, &reply));  // the start's PINGs
    ASSERT_OK(redis.Run({"SET", "oz:k", "1"}, &reply));
    ASSERT_OK(redis.Run({"GET", "oz:k"}, &reply));
    ASSERT_OK(redis.Run({"GET", "oz:k"}, &reply));
    ASSERT_OK(redis.Run({"INFO", "commandstats"}, &reply));
    CPPUNIT_ASSERT(reply.text.find("cmdstat_get:calls=2,") != std::string::npos);
    CPPUNIT_ASSERT(reply.text.find("cmdstat_ping") == std::string::npos);
    tcp.Stop();
  }

  void testRedisTracksOnlyTheKeysTheCacheKeeps() {
    // OPTIN: a write of a key no cache holds (a list, a key only a script
    // or a mixed pipeline read) costs Redis no invalidation message.
    Write({"SET", "oz:k", "1"});
    RedisClient redis(config_);
    CPPUNIT_ASSERT_EQUAL(std::string("1"), Get(&redis, "oz:k"));
    RedisReply reply;
    ASSERT_OK(redis.Run({"ZRANGE", "oz:list", "0", "-1"}, &reply));
    ASSERT_OK(redis.Run({"EVAL", "return redis.call('GET', KEYS[1])", "1",
                         "oz:script"},
                        &reply));
    std::vector<RedisReply> replies;
    ASSERT_OK(redis.Pipeline({{"GET", "oz:mixed"}, {"ZCARD", "oz:list"}},
                             &replies));
    RedisReply info;
    ASSERT_OK(other_->Run({"INFO", "stats"}, &info));
    CPPUNIT_ASSERT_MESSAGE(info.text, info.text.find("tracking_total_keys:1\r\n") !=
                                          std::string::npos);
    // And the kept read is still tracked: another client's write drops it.
    Write({"SET", "oz:k", "2"});
    CPPUNIT_ASSERT_EQUAL(std::string("2"), Get(&redis, "oz:k"));
  }

  void testZeroEntriesTurnsTheCacheOff() {
    Write({"SET", "oz:k", "1"});
    Config config = config_;
    config.read_cache_entries = 0;
    RedisClient redis(config);
    CPPUNIT_ASSERT(redis.tracked_reads() == nullptr);
    Get(&redis, "oz:k");
    Get(&redis, "oz:k");
    CPPUNIT_ASSERT_EQUAL(2LL, Calls("get"));
  }

 private:
  void Write(const RedisCommand& command) {
    RedisReply reply;
    ASSERT_OK(other_->Run(command, &reply));
  }

  long long Exists(RedisClient* redis, const std::string& key) {
    RedisReply reply;
    ASSERT_OK(redis->Run({"EXISTS", key}, &reply));
    return reply.integer;
  }

  std::string Get(RedisClient* redis, const std::string& key) {
    RedisReply reply;
    ASSERT_OK(redis->Run({"GET", key}, &reply));
    return reply.text;
  }

  // The AOF's size once no rewrite is under way (with appendfsync always,
  // what a command wrote is in it before its reply).
  long long AofSizeOnceWritten() {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(30);
    RedisReply info;
    for (;;) {
      ASSERT_OK(other_->Run({"INFO", "persistence"}, &info));
      if (info.text.find("aof_rewrite_in_progress:0") != std::string::npos &&
          info.text.find("aof_rewrite_scheduled:0") != std::string::npos &&
          info.text.find("aof_current_size:") != std::string::npos) {
        break;
      }
      CPPUNIT_ASSERT_MESSAGE("the AOF rewrite did not end",
                             std::chrono::steady_clock::now() < deadline);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const size_t at = info.text.find("aof_current_size:");
    return std::stoll(info.text.substr(at + std::strlen("aof_current_size:")));
  }

  // Calls of `command` Redis has served (INFO commandstats).
  long long Calls(const std::string& command) {
    return test::CommandCalls(other_.get(), command);
  }

  test::TemporaryDirectory dir_;
  test::RedisServer server_;
  Config config_;
  std::unique_ptr<RedisClient> other_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(TrackedReadsTest);

}  // namespace
}  // namespace tokend
