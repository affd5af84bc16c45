// Unit tests for redis_client.h logging in as a Redis ACL user, against a
// real redis-server whose default user is off: the client logs in on every
// new connection (the first and the one it makes after Redis dropped it),
// a refused login is 503 with one log line that names the user and never
// the password, and Redis's NOAUTH is 503, not an internal error.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../redis_server.h"
#include "../temporary_directory.h"
#include "tokend/store/redis_client.h"
#include "tokend/store/tracked_reads.h"

namespace tokend {
namespace {

const char kUser[] = "svc";
const char kPassword[] = "svc-pw-93b1e2c4d5";
const char kAdmin[] = "adm";
const char kAdminPassword[] = "adm-pw-5e6f7a8b";

// What the code under test writes to stderr while it lives.
class StderrCapture {
 public:
  explicit StderrCapture(const std::string& path) : path_(path) {
    std::fflush(stderr);
    saved_ = dup(2);
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CPPUNIT_ASSERT(saved_ >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
  }
  ~StderrCapture() { Restore(); }

  std::string Text() {
    Restore();
    std::ifstream in(path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  void Restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    dup2(saved_, 2);
    close(saved_);
    saved_ = -1;
  }

  std::string path_;
  int saved_ = -1;
};

size_t Count(const std::string& text, const std::string& part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos;
       at = text.find(part, at + 1)) {
    ++count;
  }
  return count;
}

}  // namespace

class RedisLoginTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(RedisLoginTest);
  CPPUNIT_TEST(testLogsInAsTheConfiguredUserBeforeAnyCommand);
  CPPUNIT_TEST(testLogsInAgainOnTheFreshConnectionAfterRedisDroppedIt);
  CPPUNIT_TEST(testAWrongPasswordIsUnavailableAndLoggedOnceWithoutThePassword);
  CPPUNIT_TEST(testNoLoginWhereRedisWantsOneIsUnavailableNotInternal);
  CPPUNIT_TEST(testTheUserRunsNothingBeyondItsCommandsAndKeys);
  CPPUNIT_TEST(testAUserWithoutTrackingRightsReadsUncachedAndIsToldOnce);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    // The daemon's workers ignore SIGPIPE (worker_pool.cpp); so must a
    // process that writes to a Redis connection the server closed.
    signal(SIGPIPE, SIG_IGN);
    dir_.Create("redis-login-test");
    server_.Start(dir_.path(),
                  {"--user", "default", "off",
                   "--user", kUser, "on", std::string(">") + kPassword, "~oz:*",
                   "resetchannels", "-@all", "+ping", "+get", "+set", "+eval",
                   "+evalsha",
                   "--user", kAdmin, "on", std::string(">") + kAdminPassword,
                   "~*", "&*", "+@all"},
                  kAdmin, kAdminPassword);
  }

  void tearDown() override {
    server_.Stop();
    dir_.Remove();
  }

  void testLogsInAsTheConfiguredUserBeforeAnyCommand() {
    RedisClient redis(ConfigAs(kUser, kPassword));
    RedisReply reply;
    Status status = redis.Run({"SET", "oz:k", "v"}, &reply);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    status = redis.Run({"GET", "oz:k"}, &reply);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL(std::string("v"), reply.text);
    CPPUNIT_ASSERT(Admin("CLIENT", "LIST").find("user=svc") != std::string::npos);
  }

  void testLogsInAgainOnTheFreshConnectionAfterRedisDroppedIt() {
    RedisClient redis(ConfigAs(kUser, kPassword));
    RedisReply reply;
    CPPUNIT_ASSERT(redis.Run({"SET", "oz:k", "v"}, &reply).ok());
    // Redis closes the kept connection (as a restart would); the next call
    // finds it closed and retries once on a new one, which must log in.
    CPPUNIT_ASSERT_EQUAL(std::string("1"), Admin("CLIENT", "KILL", "USER", kUser));
    Status status = redis.Run({"GET", "oz:k"}, &reply);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL(std::string("v"), reply.text);
  }

  void testAWrongPasswordIsUnavailableAndLoggedOnceWithoutThePassword() {
    const std::string wrong = "not-the-pw-77e1c0";
    StderrCapture capture(dir_.path() + "/stderr");
    {
      RedisClient redis(ConfigAs(kUser, wrong));
      RedisReply reply;
      for (int i = 0; i < 3; ++i) {
        Status status = redis.Run({"PING"}, &reply);
        CPPUNIT_ASSERT_EQUAL(std::string(ErrorIdOf(Code::kServiceUnavailable)),
                             std::string(ErrorIdOf(status.code())));
        CPPUNIT_ASSERT(status.description().find(wrong) == std::string::npos);
      }
    }
    std::string log = capture.Text();
    CPPUNIT_ASSERT_MESSAGE(log, Count(log, "Redis refused the login as svc") == 1);
    CPPUNIT_ASSERT_MESSAGE(log, log.find("WRONGPASS") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(log, log.find("redis_password_file") != std::string::npos);
    CPPUNIT_ASSERT(log.find(wrong) == std::string::npos);
    CPPUNIT_ASSERT(log.find(kPassword) == std::string::npos);
  }

  void testNoLoginWhereRedisWantsOneIsUnavailableNotInternal() {
    StderrCapture capture(dir_.path() + "/stderr");
    {
      RedisClient redis(ConfigAs("", ""));
      RedisReply reply;
      Status status = redis.Run({"PING"}, &reply);
      CPPUNIT_ASSERT_EQUAL(std::string(ErrorIdOf(Code::kServiceUnavailable)),
                           std::string(ErrorIdOf(status.code())));
      std::vector<RedisReply> replies;
      status = redis.Transaction({{"GET", "oz:k"}}, &replies);
      CPPUNIT_ASSERT_EQUAL(std::string(ErrorIdOf(Code::kServiceUnavailable)),
                           std::string(ErrorIdOf(status.code())));
    }
    std::string log = capture.Text();
    CPPUNIT_ASSERT_MESSAGE(log, Count(log, "Redis requires a login (NOAUTH") == 1);
  }

  void testAUserWithoutTrackingRightsReadsUncachedAndIsToldOnce() {
    // An ACL from before client-side caching: no CLIENT, no SUBSCRIBE, no
    // channel. Reads work, from Redis each time, and one line says why.
    StderrCapture capture(dir_.path() + "/stderr");
    {
      RedisClient redis(ConfigAs(kUser, kPassword));
      RedisReply reply;
      CPPUNIT_ASSERT(redis.Run({"SET", "oz:k", "v"}, &reply).ok());
      for (int i = 0; i < 3; ++i) {
        Status status = redis.Run({"GET", "oz:k"}, &reply);
        CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
        CPPUNIT_ASSERT_EQUAL(std::string("v"), reply.text);
      }
      CPPUNIT_ASSERT(redis.tracked_reads() != nullptr);
      CPPUNIT_ASSERT(!redis.tracked_reads()->enabled());
    }
    std::string log = capture.Text();
    CPPUNIT_ASSERT_MESSAGE(log, Count(log, "read cache off: Redis refused") == 1);
    CPPUNIT_ASSERT_MESSAGE(log, log.find("NOPERM") != std::string::npos);
    CPPUNIT_ASSERT(log.find(kPassword) == std::string::npos);
    CPPUNIT_ASSERT(Admin("INFO", "commandstats").find("cmdstat_get:calls=3,") !=
                   std::string::npos);
  }

  void testTheUserRunsNothingBeyondItsCommandsAndKeys() {
    RedisClient redis(ConfigAs(kUser, kPassword));
    RedisReply reply;
    for (const RedisCommand& command :
         std::vector<RedisCommand>{{"FLUSHALL"},
                                   {"CONFIG", "GET", "*"},
                                   {"KEYS", "*"},
                                   {"GET", "other"},
                                   {"EVAL", "return redis.call('get', 'other')", "0"},
                                   {"EVAL", "return redis.call('del', KEYS[1])", "1",
                                    "oz:k"}}) {
      Status status = redis.Run(command, &reply);
      // A command Redis refuses is the code's fault: internal, not 503.
      CPPUNIT_ASSERT_MESSAGE(command[0], !status.ok());
      CPPUNIT_ASSERT_EQUAL_MESSAGE(command[0] + ": " + status.description(),
                                   std::string(ErrorIdOf(Code::kInternal)),
                                   std::string(ErrorIdOf(status.code())));
    }
    CPPUNIT_ASSERT(redis.Run({"EVAL", "return redis.call('get', KEYS[1])", "1",
                              "oz:k"}, &reply).ok());
  }

 private:
  Config ConfigAs(const std::string& user, const std::string& password) {
    Config config;
    config.redis = "unix:" + server_.socket();
    config.redis_connect_timeout_ms = 1000;
    config.redis_command_timeout_ms = 2000;
    config.redis_user = user;
    config.redis_password = password;
    return config;
  }

  // One command as the administrator; the reply's text or integer.
  std::string Admin(const std::string& a, const std::string& b = "",
                    const std::string& c = "", const std::string& d = "") {
    RedisCommand command = {a};
    for (const std::string& arg : {b, c, d}) {
      if (!arg.empty()) command.push_back(arg);
    }
    RedisClient admin(ConfigAs(kAdmin, kAdminPassword));
    RedisReply reply;
    Status status = admin.Run(command, &reply);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    return reply.type == RedisReply::Type::kInteger ? std::to_string(reply.integer)
                                                    : reply.text;
  }

  test::TemporaryDirectory dir_;
  test::RedisServer server_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(RedisLoginTest);

}  // namespace tokend
