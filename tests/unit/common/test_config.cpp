// Unit tests for config.h: LoadConfig reads every key over the defaults,
// refuses what it does not understand (naming the line), resolves relative
// paths against the config file's directory; ParseEndpoint splits unix and
// TCP endpoints; reads the Redis password file only when no one else may
// read or write it, and never quotes it in an error.
//
// Each test writes its files in a fresh temporary directory that tearDown
// removes.
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "../temporary_directory.h"
#include "tokend/common/config.h"
#include "tokend/common/limits.h"

namespace tokend {
namespace {

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

class ConfigTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ConfigTest);
  CPPUNIT_TEST(testReadsEveryKey);
  CPPUNIT_TEST(testKeepsDefaultsForKeysNotInTheFile);
  CPPUNIT_TEST(testEmptyFileKeepsEveryDefault);
  CPPUNIT_TEST(testIgnoresCommentsBlankLinesAndSurroundingSpace);
  CPPUNIT_TEST(testReadsFileWithCrlfLineEndings);
  CPPUNIT_TEST(testReadsSocketModeAsOctal);
  CPPUNIT_TEST(testAcceptsBoundaryValues);
  CPPUNIT_TEST(testRejectsUnknownConfigKeyNamingTheLine);
  CPPUNIT_TEST(testIgnoresTheRetiredPbkdf2IterationsKey);
  CPPUNIT_TEST(testRejectsKeysInTheWrongCase);
  CPPUNIT_TEST(testRejectsLineWithoutEquals);
  CPPUNIT_TEST(testRejectsBadNumbers);
  CPPUNIT_TEST(testRejectsOutOfRangeValues);
  CPPUNIT_TEST(testRejectsEmptyValues);
  CPPUNIT_TEST(testRejectsBadEndpoints);
  CPPUNIT_TEST(testRejectsDefaultTtlAboveMaxTtl);
  CPPUNIT_TEST(testRejectsMaxTtlBelowTheDefaultDefaultTtl);
  CPPUNIT_TEST(testAcceptsDefaultTtlEqualToMaxTtl);
  CPPUNIT_TEST(testResolvesRelativePathsAgainstTheConfigDirectory);
  CPPUNIT_TEST(testKeepsAbsolutePathsAndTcpEndpointsAsWritten);
  CPPUNIT_TEST(testResolvesAgainstTheCurrentDirectoryForABareFileName);
  CPPUNIT_TEST(testMissingFileIsAnError);
  CPPUNIT_TEST(testShippedExampleLoadsAndHoldsExactlyTheDefaults);
  CPPUNIT_TEST(testShippedExampleSetsEveryKey);
  CPPUNIT_TEST(testParsesUnixEndpoint);
  CPPUNIT_TEST(testParsesTcpEndpoint);
  CPPUNIT_TEST(testRejectsMalformedEndpoints);
  CPPUNIT_TEST(testReadsTheRedisUserAndThePasswordFromItsFile);
  CPPUNIT_TEST(testAcceptsTheLongestPasswordAndAFileOnlyItsOwnerMayRead);
  CPPUNIT_TEST(testRefusesAPasswordFileWithMode0644WithoutQuotingIt);
  CPPUNIT_TEST(testRefusesAPasswordFileThatGroupOrOthersMayReadOrWrite);
  CPPUNIT_TEST(testRefusesAPasswordFileOwnedByAnotherUser);
  CPPUNIT_TEST(testRefusesAMissingEmptyOrMalformedPasswordFile);
  CPPUNIT_TEST(testRefusesARedisUserWithoutAPasswordFileAndTheReverse);
  CPPUNIT_TEST(testRefusesARedisUserNameWithSpacesOrControlCharacters);
  CPPUNIT_TEST(testParsesTheRedisClusterAndSentinelForms);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    dir_.Create("tokend-config-test");
  }

  void tearDown() override {
    dir_.Remove();
  }

  void testReadsEveryKey() {
    Config config;
    Status status = Load(
        "listen = 127.0.0.1:9001\n"
        "socket_mode = 0600\n"
        "workers = 7\n"
        "redis = unix:/var/run/redis/test.sock\n"
        "redis_connect_timeout_ms = 250\n"
        "redis_command_timeout_ms = 1500\n"
        "master_secret_file = /etc/tokend/master.key\n"
        "token_location = onezone.example.org\n"
        "token_default_ttl = 3600\n"
        "token_max_ttl = 7200\n"
        "invite_ttl = 86400\n"
        "password_memory_kib = 65536\n"
        "password_time_cost = 3\n"
        "password_parallelism = 4\n"
        "login_failures_per_user = 3\n"
        "login_failures_per_address = 30\n"
        "login_failure_window = 60\n"
        "max_tokens_per_user = 50\n"
        "password_cache_seconds = 0\n",
        &config);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1:9001"), config.listen);
    CPPUNIT_ASSERT_EQUAL(0600, config.socket_mode);
    CPPUNIT_ASSERT_EQUAL(7, config.workers);
    CPPUNIT_ASSERT_EQUAL(std::string("unix:/var/run/redis/test.sock"),
                         config.redis);
    CPPUNIT_ASSERT_EQUAL(250, config.redis_connect_timeout_ms);
    CPPUNIT_ASSERT_EQUAL(1500, config.redis_command_timeout_ms);
    CPPUNIT_ASSERT_EQUAL(std::string("/etc/tokend/master.key"),
                         config.master_secret_file);
    CPPUNIT_ASSERT_EQUAL(std::string("onezone.example.org"),
                         config.token_location);
    CPPUNIT_ASSERT_EQUAL(int64_t{3600}, config.token_default_ttl);
    CPPUNIT_ASSERT_EQUAL(int64_t{7200}, config.token_max_ttl);
    CPPUNIT_ASSERT_EQUAL(int64_t{86400}, config.invite_ttl);
    CPPUNIT_ASSERT_EQUAL(65536, config.password_memory_kib);
    CPPUNIT_ASSERT_EQUAL(3, config.password_time_cost);
    CPPUNIT_ASSERT_EQUAL(4, config.password_parallelism);
    CPPUNIT_ASSERT_EQUAL(3, config.login_failures_per_user);
    CPPUNIT_ASSERT_EQUAL(30, config.login_failures_per_address);
    CPPUNIT_ASSERT_EQUAL(60, config.login_failure_window);
    CPPUNIT_ASSERT_EQUAL(50, config.max_tokens_per_user);
    CPPUNIT_ASSERT_EQUAL(0, config.password_cache_seconds);
  }

  void testKeepsDefaultsForKeysNotInTheFile() {
    Config config;
    CPPUNIT_ASSERT(Load("workers = 9\n", &config).ok());
    CPPUNIT_ASSERT_EQUAL(9, config.workers);
    AssertSameExceptWorkers(Config(), config);
  }

  void testEmptyFileKeepsEveryDefault() {
    for (const char* text : {"", "\n\n", "# only a comment\n", "   \t\n"}) {
      Config config;
      Status status = Load(text, &config);
      CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
      AssertSameExceptWorkers(Config(), config);
      CPPUNIT_ASSERT_EQUAL(Config().workers, config.workers);
    }
  }

  void testIgnoresCommentsBlankLinesAndSurroundingSpace() {
    Config config;
    Status status = Load(
        "# a comment line\n"
        "\n"
        "   # an indented comment\n"
        "\t workers\t =\t 3   # after the value\n"
        "token_location=no-spaces\n"
        "   \n",
        &config);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL(3, config.workers);
    CPPUNIT_ASSERT_EQUAL(std::string("no-spaces"), config.token_location);
  }

  void testReadsFileWithCrlfLineEndings() {
    Config config;
    Status status = Load("workers = 5\r\ntoken_location = crlf\r\n", &config);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL(5, config.workers);
    CPPUNIT_ASSERT_EQUAL(std::string("crlf"), config.token_location);
  }

  void testReadsSocketModeAsOctal() {
    Config config;
    CPPUNIT_ASSERT(Load("socket_mode = 0640\n", &config).ok());
    CPPUNIT_ASSERT_EQUAL(0640, config.socket_mode);
    CPPUNIT_ASSERT(Load("socket_mode = 660\n", &config).ok());
    CPPUNIT_ASSERT_EQUAL(0660, config.socket_mode);
    CPPUNIT_ASSERT(Load("socket_mode = 0\n", &config).ok());
    CPPUNIT_ASSERT_EQUAL(0, config.socket_mode);
    // 8 and 9 are not octal digits.
    CPPUNIT_ASSERT(!Load("socket_mode = 0680\n", &config).ok());
    CPPUNIT_ASSERT(!Load("socket_mode = 9\n", &config).ok());
  }

  void testAcceptsBoundaryValues() {
    Config config;
    Status status = Load(
        "workers = 256\n"
        "socket_mode = 0777\n"
        "redis_connect_timeout_ms = 1\n"
        "redis_command_timeout_ms = 60000\n"
        "password_memory_kib = 262144\n"
        "password_time_cost = 16\n"
        "password_parallelism = 8\n"
        "password_cache_seconds = 86400\n"
        "token_default_ttl = 1\n"
        "token_max_ttl = 316224000\n",  // ten years of 366 days
        &config);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL(256, config.workers);
    CPPUNIT_ASSERT_EQUAL(0777, config.socket_mode);
    CPPUNIT_ASSERT_EQUAL(1, config.redis_connect_timeout_ms);
    CPPUNIT_ASSERT_EQUAL(60000, config.redis_command_timeout_ms);
    CPPUNIT_ASSERT_EQUAL(262144, config.password_memory_kib);
    CPPUNIT_ASSERT_EQUAL(16, config.password_time_cost);
    CPPUNIT_ASSERT_EQUAL(8, config.password_parallelism);
    CPPUNIT_ASSERT_EQUAL(86400, config.password_cache_seconds);
    CPPUNIT_ASSERT_EQUAL(int64_t{1}, config.token_default_ttl);
    CPPUNIT_ASSERT_EQUAL(int64_t{316224000}, config.token_max_ttl);
    CPPUNIT_ASSERT(Load("workers = 1\n", &config).ok());
    CPPUNIT_ASSERT_EQUAL(1, config.workers);
  }

  void testRejectsUnknownConfigKeyNamingTheLine() {
    Config config;
    std::string path = Write("tokend.conf",
                             "workers = 2\n"
                             "# comment\n"
                             "wrokers = 3\n");
    Status status = LoadConfig(path, &config);
    CPPUNIT_ASSERT(!status.ok());
    CPPUNIT_ASSERT_MESSAGE(status.description(),
                           Contains(status.description(), path + ":3:"));
    CPPUNIT_ASSERT_MESSAGE(status.description(),
                           Contains(status.description(), "wrokers"));
  }

  void testIgnoresTheRetiredPbkdf2IterationsKey() {
    // A config kept over the upgrade to Argon2id still loads, whatever the
    // old key said, and sets nothing.
    Config config;
    Status status = Load("password_iterations = 600000\nworkers = 3\n", &config);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL(3, config.workers);
    CPPUNIT_ASSERT_EQUAL(Config().password_memory_kib, config.password_memory_kib);
    CPPUNIT_ASSERT(Load("password_iterations = nonsense\n", &config).ok());
  }

  void testRejectsKeysInTheWrongCase() {
    Config config;
    CPPUNIT_ASSERT(!Load("Workers = 2\n", &config).ok());
    CPPUNIT_ASSERT(!Load("WORKERS = 2\n", &config).ok());
  }

  void testRejectsLineWithoutEquals() {
    Config config;
    std::string path = Write("tokend.conf", "workers = 2\nworkers 3\n");
    Status status = LoadConfig(path, &config);
    CPPUNIT_ASSERT(!status.ok());
    CPPUNIT_ASSERT_MESSAGE(status.description(),
                           Contains(status.description(), path + ":2:"));
  }

  void testRejectsBadNumbers() {
    for (const char* value : {"abc", "4x", "4 5", "1.5", "1e3", "0x10", "",
                              "--4", "four", "99999999999999999999999"}) {
      Config config;
      std::string path =
          Write("tokend.conf", std::string("workers = ") + value + "\n");
      Status status = LoadConfig(path, &config);
      CPPUNIT_ASSERT_MESSAGE(value, !status.ok());
      CPPUNIT_ASSERT_MESSAGE(status.description(),
                             Contains(status.description(), path + ":1:"));
      CPPUNIT_ASSERT_MESSAGE(status.description(),
                             Contains(status.description(), "workers"));
    }
  }

  void testRejectsOutOfRangeValues() {
    for (const char* line :
         {"workers = 0", "workers = 257", "workers = -1", "socket_mode = 01000",
          "socket_mode = -1", "redis_connect_timeout_ms = 0",
          "redis_connect_timeout_ms = 60001", "redis_command_timeout_ms = 0",
          "redis_command_timeout_ms = 60001", "token_default_ttl = 0",
          "token_max_ttl = 0", "token_max_ttl = 316224001",
          "token_max_ttl = -31536000", "password_memory_kib = 8191",
          "password_memory_kib = 262145", "password_time_cost = 0",
          "password_time_cost = 17", "password_parallelism = 0",
          "password_parallelism = 9", "password_cache_seconds = -1",
          "password_cache_seconds = 86401", "invite_ttl = 0",
          "invite_ttl = 316224001", "login_failures_per_user = 0",
          "login_failures_per_user = 1000001", "login_failures_per_address = 0",
          "login_failures_per_address = 1000001", "login_failure_window = 0",
          "login_failure_window = 86401", "max_tokens_per_user = 0",
          "max_tokens_per_user = 1000001", "password_hash_concurrency = -1",
          "password_hash_concurrency = 65", "password_hash_queue = 0",
          "password_hash_queue = 1025", "password_hash_wait_ms = 0",
          "password_hash_wait_ms = 60001", "login_trusted_address_days = -1",
          "login_trusted_address_days = 3651", "max_spaces_per_user = 0",
          "max_pending_invites_per_space = 0",
          // Beyond int: must not wrap into range.
          "workers = 4294967300", "password_memory_kib = 4295032832"}) {
      Config config;
      Status status = Load(std::string(line) + "\n", &config);
      CPPUNIT_ASSERT_MESSAGE(line, !status.ok());
      CPPUNIT_ASSERT_MESSAGE(status.description(),
                             Contains(status.description(), "range"));
    }
  }

  void testRejectsEmptyValues() {
    for (const char* line :
         {"token_location =", "master_secret_file = ", "listen =", "redis =",
          "token_location = # only a comment"}) {
      Config config;
      CPPUNIT_ASSERT_MESSAGE(line,
                             !Load(std::string(line) + "\n", &config).ok());
    }
  }

  void testRejectsBadEndpoints() {
    for (const char* value :
         {"localhost", "unix:", "localhost:", ":9000", "localhost:0",
          "localhost:65536", "localhost:http", "localhost:-1"}) {
      for (const char* key : {"listen", "redis"}) {
        Config config;
        std::string line = std::string(key) + " = " + value + "\n";
        CPPUNIT_ASSERT_MESSAGE(line, !Load(line, &config).ok());
      }
    }
  }

  void testRejectsDefaultTtlAboveMaxTtl() {
    Config config;
    Status status =
        Load("token_default_ttl = 7201\ntoken_max_ttl = 7200\n", &config);
    CPPUNIT_ASSERT(!status.ok());
    CPPUNIT_ASSERT_MESSAGE(status.description(),
                           Contains(status.description(), "token_default_ttl"));
    // Order in the file does not matter: the check runs after the last line.
    CPPUNIT_ASSERT(
        !Load("token_max_ttl = 7200\ntoken_default_ttl = 7201\n", &config)
             .ok());
  }

  void testRejectsMaxTtlBelowTheDefaultDefaultTtl() {
    // Lowering only the maximum leaves the one-year default above it.
    Config config;
    CPPUNIT_ASSERT(!Load("token_max_ttl = 3600\n", &config).ok());
  }

  void testAcceptsDefaultTtlEqualToMaxTtl() {
    Config config;
    CPPUNIT_ASSERT(
        Load("token_default_ttl = 3600\ntoken_max_ttl = 3600\n", &config).ok());
    CPPUNIT_ASSERT_EQUAL(int64_t{3600}, config.token_default_ttl);
    CPPUNIT_ASSERT_EQUAL(int64_t{3600}, config.token_max_ttl);
  }

  void testResolvesRelativePathsAgainstTheConfigDirectory() {
    std::filesystem::create_directory(dir_.path() + "/etc");
    Config config;
    std::string path = Write("etc/tokend.conf",
                             "listen = unix:run/fcgi.sock\n"
                             "redis = unix:../redis/redis.sock\n"
                             "master_secret_file = keys/master.key\n");
    Status status = LoadConfig(path, &config);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL("unix:" + dir_.path() + "/etc/run/fcgi.sock", config.listen);
    CPPUNIT_ASSERT_EQUAL("unix:" + dir_.path() + "/etc/../redis/redis.sock",
                         config.redis);
    CPPUNIT_ASSERT_EQUAL(dir_.path() + "/etc/keys/master.key",
                         config.master_secret_file);
  }

  void testKeepsAbsolutePathsAndTcpEndpointsAsWritten() {
    Config config;
    Status status = Load(
        "listen = 127.0.0.1:9000\n"
        "redis = unix:/abs/redis.sock\n"
        "master_secret_file = /abs/master.key\n"
        "token_location = relative/looking\n",
        &config);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1:9000"), config.listen);
    CPPUNIT_ASSERT_EQUAL(std::string("unix:/abs/redis.sock"), config.redis);
    CPPUNIT_ASSERT_EQUAL(std::string("/abs/master.key"),
                         config.master_secret_file);
    // Not a path: never resolved.
    CPPUNIT_ASSERT_EQUAL(std::string("relative/looking"),
                         config.token_location);
  }

  void testResolvesAgainstTheCurrentDirectoryForABareFileName() {
    Write("tokend.conf", "master_secret_file = master.key\n");
    int previous = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CPPUNIT_ASSERT(previous >= 0);
    CPPUNIT_ASSERT_EQUAL(0, chdir(dir_.path().c_str()));
    Config config;
    Status status = LoadConfig("tokend.conf", &config);
    int restored = fchdir(previous);
    close(previous);
    CPPUNIT_ASSERT_EQUAL(0, restored);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    // Relative to where the daemon was started, like the file name itself.
    CPPUNIT_ASSERT_MESSAGE(config.master_secret_file,
                           config.master_secret_file == "./master.key" ||
                               config.master_secret_file == "master.key");
  }

  void testMissingFileIsAnError() {
    Config config;
    std::string path = dir_.path() + "/does-not-exist.conf";
    Status status = LoadConfig(path, &config);
    CPPUNIT_ASSERT(!status.ok());
    CPPUNIT_ASSERT(Contains(status.description(), path));
  }

  void testShippedExampleLoadsAndHoldsExactlyTheDefaults() {
    // "The values below ARE the defaults" (config/onezone-tokend.conf.example).
    Config config;
    config.workers = 99;  // so "kept the default" cannot pass by accident
    Status status = LoadConfig(ShippedExample(), &config);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL(Config().workers, config.workers);
    AssertSameExceptWorkers(Config(), config);
  }

  void testShippedExampleSetsEveryKey() {
    std::ifstream in(ShippedExample());
    std::string text((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
    CPPUNIT_ASSERT(!text.empty());
    for (const char* key : kEveryKey) {
      // "key = value", or "key =" for a key whose default is empty.
      CPPUNIT_ASSERT_MESSAGE(key,
                             Contains(text, "\n" + std::string(key) + " = ") ||
                                 Contains(text, "\n" + std::string(key) + " =\n"));
    }
  }

  void testParsesUnixEndpoint() {
    std::string unix_path = "stale", host = "stale";
    int port = 99;
    CPPUNIT_ASSERT(
        ParseEndpoint("unix:/run/redis.sock", &unix_path, &host, &port));
    CPPUNIT_ASSERT_EQUAL(std::string("/run/redis.sock"), unix_path);
    CPPUNIT_ASSERT_EQUAL(std::string(), host);
    CPPUNIT_ASSERT_EQUAL(0, port);
    // A unix path may itself contain colons.
    CPPUNIT_ASSERT(
        ParseEndpoint("unix:/tmp/a:b.sock", &unix_path, &host, &port));
    CPPUNIT_ASSERT_EQUAL(std::string("/tmp/a:b.sock"), unix_path);
  }

  void testParsesTcpEndpoint() {
    std::string unix_path = "stale", host = "stale";
    int port = 0;
    CPPUNIT_ASSERT(ParseEndpoint("127.0.0.1:6379", &unix_path, &host, &port));
    CPPUNIT_ASSERT_EQUAL(std::string(), unix_path);
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), host);
    CPPUNIT_ASSERT_EQUAL(6379, port);
    CPPUNIT_ASSERT(ParseEndpoint("redis.internal:1", &unix_path, &host, &port));
    CPPUNIT_ASSERT_EQUAL(std::string("redis.internal"), host);
    CPPUNIT_ASSERT_EQUAL(1, port);
    CPPUNIT_ASSERT(ParseEndpoint("localhost:65535", &unix_path, &host, &port));
    CPPUNIT_ASSERT_EQUAL(65535, port);
  }

  void testParsesTheRedisClusterAndSentinelForms() {
    RedisTarget target;
    std::string error;
    CPPUNIT_ASSERT(ParseRedisTarget("cluster://10.0.0.1:7000,[::1]:7001,redis-c:7002",
                                    &target, &error));
    CPPUNIT_ASSERT(target.kind == RedisTarget::Kind::kCluster);
    const std::vector<std::pair<std::string, int>> seeds = {
        {"10.0.0.1", 7000}, {"::1", 7001}, {"redis-c", 7002}};
    CPPUNIT_ASSERT(seeds == target.hosts);
    CPPUNIT_ASSERT(ParseRedisTarget("sentinel://127.0.0.1:26379,127.0.0.2:26379/tokens",
                                    &target, &error));
    CPPUNIT_ASSERT(target.kind == RedisTarget::Kind::kSentinel);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, target.hosts.size());
    CPPUNIT_ASSERT_EQUAL(std::string("tokens"), target.master_name);
    CPPUNIT_ASSERT(ParseRedisTarget("[::1]:6379", &target, &error));
    CPPUNIT_ASSERT(target.kind == RedisTarget::Kind::kSingle);
    CPPUNIT_ASSERT_EQUAL(std::string("::1"), target.hosts.at(0).first);
    CPPUNIT_ASSERT(ParseRedisTarget("unix:/run/r.sock", &target, &error));
    CPPUNIT_ASSERT_EQUAL(std::string("/run/r.sock"), target.unix_path);
    for (const char* bad :
         {"cluster://", "cluster://a", "cluster://a:1,", "cluster://a:1,,b:2",
          "cluster://unix:/x", "cluster://::1:7000", "cluster://a:0",
          "sentinel://a:1", "sentinel://a:1/", "sentinel:///m",
          "sentinel://a:1/m/n", "sentinel://a:1/m n", "redis://a:1", "::1:6379"}) {
      error.clear();
      CPPUNIT_ASSERT_MESSAGE(bad, !ParseRedisTarget(bad, &target, &error));
      CPPUNIT_ASSERT_MESSAGE(bad, !error.empty());
    }
  }

  void testRejectsMalformedEndpoints() {
    for (const char* endpoint :
         {"", "unix:", "localhost", ":6379", "localhost:", "localhost:0",
          "localhost:65536", "localhost:63 79", "localhost:6379x",
          "localhost:0x10", "localhost:99999999999999999999"}) {
      std::string unix_path, host;
      int port = 0;
      CPPUNIT_ASSERT_MESSAGE(
          endpoint, !ParseEndpoint(endpoint, &unix_path, &host, &port));
      CPPUNIT_ASSERT_MESSAGE(endpoint, unix_path.empty());
    }
  }


  // --- the Redis user and its password file ---------------------------------

  void testReadsTheRedisUserAndThePasswordFromItsFile() {
    WritePasswordFile("redis.password", kPassword + "\n", 0600);
    Config config;
    Status status = Load(
        "redis_user = onezone-tokend\nredis_password_file = redis.password\n",
        &config);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL(std::string("onezone-tokend"), config.redis_user);
    CPPUNIT_ASSERT_EQUAL(dir_.path() + "/redis.password", config.redis_password_file);
    CPPUNIT_ASSERT_EQUAL(kPassword, config.redis_password);
    // An empty value is no user (the shipped example's default).
    Config none;
    status = Load("redis_user =\nredis_password_file =\n", &none);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT(none.redis_user.empty() && none.redis_password.empty());
  }

  void testAcceptsTheLongestPasswordAndAFileOnlyItsOwnerMayRead() {
    const std::string longest(kMaxRedisPasswordBytes, 'p');
    WritePasswordFile("redis.password", longest + "\n\n", 0400);
    Config config;
    Status status = LoadWithPasswordFile("redis.password", &config);
    CPPUNIT_ASSERT_MESSAGE(status.description(), status.ok());
    CPPUNIT_ASSERT_EQUAL(longest, config.redis_password);
  }

  void testRefusesAPasswordFileWithMode0644WithoutQuotingIt() {
    std::string path = WritePasswordFile("redis.password", kPassword + "\n", 0644);
    Config config;
    Status status = LoadWithPasswordFile("redis.password", &config);
    CPPUNIT_ASSERT(!status.ok());
    CPPUNIT_ASSERT_MESSAGE(status.description(),
                           Contains(status.description(), path) &&
                               Contains(status.description(), "0644") &&
                               Contains(status.description(), "chmod 600"));
    CPPUNIT_ASSERT(!Contains(status.description(), kPassword));
    CPPUNIT_ASSERT(config.redis_password.empty());
  }

  void testRefusesAPasswordFileThatGroupOrOthersMayReadOrWrite() {
    for (mode_t mode : {0640, 0620, 0604, 0602, 0660, 0606, 0610, 0601}) {
      WritePasswordFile("redis.password", kPassword + "\n", mode);
      Config config;
      Status status = LoadWithPasswordFile("redis.password", &config);
      CPPUNIT_ASSERT_MESSAGE(std::to_string(mode), !status.ok());
      CPPUNIT_ASSERT(!Contains(status.description(), kPassword));
    }
  }

  void testRefusesAPasswordFileOwnedByAnotherUser() {
    std::string path = WritePasswordFile("redis.password", kPassword + "\n", 0600);
    // Only root can give a file away; elsewhere there is nothing to test.
    if (geteuid() != 0) return;
    CPPUNIT_ASSERT_EQUAL(0, chown(path.c_str(), 65534, 65534));
    Config config;
    Status status = LoadWithPasswordFile("redis.password", &config);
    CPPUNIT_ASSERT(!status.ok());
    CPPUNIT_ASSERT_MESSAGE(status.description(),
                           Contains(status.description(), "owned by uid 65534"));
    CPPUNIT_ASSERT(!Contains(status.description(), kPassword));
  }

  void testRefusesAMissingEmptyOrMalformedPasswordFile() {
    Config missing;
    Status status = LoadWithPasswordFile("absent.password", &missing);
    CPPUNIT_ASSERT(!status.ok());
    CPPUNIT_ASSERT(Contains(status.description(), dir_.path() + "/absent.password"));
    const std::string too_long(kMaxRedisPasswordBytes + 1, 'p');
    for (const std::string& content :
         {std::string(""), std::string("\n"), kPassword + " more\n",
          kPassword + "\n" + kPassword + "\n", kPassword + "\r\n",
          kPassword + std::string("\0x", 2), "\t" + kPassword, too_long}) {
      WritePasswordFile("redis.password", content, 0600);
      Config config;
      status = LoadWithPasswordFile("redis.password", &config);
      CPPUNIT_ASSERT_MESSAGE(content, !status.ok());
      CPPUNIT_ASSERT_MESSAGE(status.description(),
                             Contains(status.description(), "one line"));
      CPPUNIT_ASSERT(!Contains(status.description(), kPassword));
      CPPUNIT_ASSERT(config.redis_password.empty());
    }
    // A directory or a FIFO is no password file (and the FIFO, with no
    // writer, must not hang the load).
    CPPUNIT_ASSERT_EQUAL(0, mkdir((dir_.path() + "/folder").c_str(), 0700));
    Config folder;
    CPPUNIT_ASSERT(!LoadWithPasswordFile("folder", &folder).ok());
    CPPUNIT_ASSERT_EQUAL(0, mkfifo((dir_.path() + "/fifo").c_str(), 0600));
    Config fifo;
    CPPUNIT_ASSERT(!LoadWithPasswordFile("fifo", &fifo).ok());
  }

  void testRefusesARedisUserWithoutAPasswordFileAndTheReverse() {
    WritePasswordFile("redis.password", kPassword + "\n", 0600);
    for (const char* text : {"redis_user = onezone-tokend\n",
                             "redis_password_file = redis.password\n",
                             "redis_user =\nredis_password_file = redis.password\n"}) {
      Config config;
      Status status = Load(text, &config);
      CPPUNIT_ASSERT_MESSAGE(text, !status.ok());
      CPPUNIT_ASSERT_MESSAGE(status.description(),
                             Contains(status.description(), "go together"));
    }
  }

  void testRefusesARedisUserNameWithSpacesOrControlCharacters() {
    WritePasswordFile("redis.password", kPassword + "\n", 0600);
    const std::string too_long(kMaxRedisUserBytes + 1, 'u');
    for (const std::string& user : {std::string("two words"), std::string("tab\there"),
                                    std::string("caf\xc3\xa9"), too_long}) {
      Config config;
      Status status = Load("redis_user = " + user +
                               "\nredis_password_file = redis.password\n",
                           &config);
      CPPUNIT_ASSERT_MESSAGE(user, !status.ok());
      CPPUNIT_ASSERT(Contains(status.description(), "tokend.conf:1"));
    }
  }

 private:
  // Every key of the table in src/common/config.cpp, as the daemon documents them.
  static constexpr const char* kEveryKey[] = {"listen",
                                              "socket_mode",
                                              "workers",
                                              "redis",
                                              "redis_connect_timeout_ms",
                                              "redis_command_timeout_ms",
                                              "redis_user",
                                              "redis_password_file",
                                              "master_secret_file",
                                              "token_location",
                                              "token_default_ttl",
                                              "token_max_ttl",
                                              "invite_ttl",
                                              "password_memory_kib",
                                              "password_time_cost",
                                              "password_parallelism",
                                              "login_failures_per_user",
                                              "login_failures_per_address",
                                              "login_failure_window",
                                              "max_tokens_per_user",
                                              "password_cache_seconds",
                                              "password_hash_concurrency",
                                              "password_hash_queue",
                                              "password_hash_wait_ms",
                                              "login_trusted_address_days",
                                              "max_spaces_per_user",
                                              "max_pending_invites_per_space"};

  // The example beside this source file: <repo>/config/...
  static std::string ShippedExample() {
    std::filesystem::path source(__FILE__);
    return (source.parent_path() / "../../../config/onezone-tokend.conf.example")
        .lexically_normal()
        .string();
  }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_.path() + "/" + name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    CPPUNIT_ASSERT_MESSAGE("cannot write " + path, out.good());
    return path;
  }

  Status Load(const std::string& text, Config* config) {
    return LoadConfig(Write("tokend.conf", text), config);
  }

  // A password file with exactly `mode` (the umask would loosen nothing,
  // but could tighten it).
  std::string WritePasswordFile(const std::string& name,
                                const std::string& content, mode_t mode) {
    std::string path = Write(name, content);
    CPPUNIT_ASSERT_EQUAL(0, chmod(path.c_str(), mode));
    return path;
  }

  Status LoadWithPasswordFile(const std::string& name, Config* config) {
    return Load("redis_user = onezone-tokend\nredis_password_file = " + name +
                    "\n",
                config);
  }

  const std::string kPassword = "Redis-pw-4c1f0e7d9a2b";

  static void AssertSameExceptWorkers(const Config& expected,
                                      const Config& actual) {
    CPPUNIT_ASSERT_EQUAL(expected.listen, actual.listen);
    CPPUNIT_ASSERT_EQUAL(expected.socket_mode, actual.socket_mode);
    CPPUNIT_ASSERT_EQUAL(expected.redis, actual.redis);
    CPPUNIT_ASSERT_EQUAL(expected.redis_connect_timeout_ms,
                         actual.redis_connect_timeout_ms);
    CPPUNIT_ASSERT_EQUAL(expected.redis_command_timeout_ms,
                         actual.redis_command_timeout_ms);
    CPPUNIT_ASSERT_EQUAL(expected.redis_user, actual.redis_user);
    CPPUNIT_ASSERT_EQUAL(expected.redis_password_file,
                         actual.redis_password_file);
    CPPUNIT_ASSERT_EQUAL(expected.redis_password, actual.redis_password);
    CPPUNIT_ASSERT_EQUAL(expected.master_secret_file,
                         actual.master_secret_file);
    CPPUNIT_ASSERT_EQUAL(expected.token_location, actual.token_location);
    CPPUNIT_ASSERT_EQUAL(expected.token_default_ttl, actual.token_default_ttl);
    CPPUNIT_ASSERT_EQUAL(expected.token_max_ttl, actual.token_max_ttl);
    CPPUNIT_ASSERT_EQUAL(expected.invite_ttl, actual.invite_ttl);
    CPPUNIT_ASSERT_EQUAL(expected.password_memory_kib,
                         actual.password_memory_kib);
    CPPUNIT_ASSERT_EQUAL(expected.password_time_cost, actual.password_time_cost);
    CPPUNIT_ASSERT_EQUAL(expected.password_parallelism,
                         actual.password_parallelism);
    CPPUNIT_ASSERT_EQUAL(expected.login_failures_per_user,
                         actual.login_failures_per_user);
    CPPUNIT_ASSERT_EQUAL(expected.login_failures_per_address,
                         actual.login_failures_per_address);
    CPPUNIT_ASSERT_EQUAL(expected.login_failure_window,
                         actual.login_failure_window);
    CPPUNIT_ASSERT_EQUAL(expected.max_tokens_per_user,
                         actual.max_tokens_per_user);
    CPPUNIT_ASSERT_EQUAL(expected.password_cache_seconds,
                         actual.password_cache_seconds);
    CPPUNIT_ASSERT_EQUAL(expected.password_hash_concurrency,
                         actual.password_hash_concurrency);
    CPPUNIT_ASSERT_EQUAL(expected.password_hash_queue, actual.password_hash_queue);
    CPPUNIT_ASSERT_EQUAL(expected.password_hash_wait_ms,
                         actual.password_hash_wait_ms);
    CPPUNIT_ASSERT_EQUAL(expected.login_trusted_address_days,
                         actual.login_trusted_address_days);
    CPPUNIT_ASSERT_EQUAL(expected.max_spaces_per_user, actual.max_spaces_per_user);
    CPPUNIT_ASSERT_EQUAL(expected.max_pending_invites_per_space,
                         actual.max_pending_invites_per_space);
  }

  test::TemporaryDirectory dir_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ConfigTest);

}  // namespace tokend
