// Config file reading: one table of keys with their bounds (see config.h).
#include "tokend/common/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <vector>

#include "tokend/common/crypto.h"
#include "tokend/common/limits.h"
#include "tokend/common/text.h"

namespace tokend {

namespace {

struct KeySpec {
  const char* key;
  // Sets the field from `value`; returns an empty string or what is wrong.
  std::function<std::string(Config*, const std::string&, const std::string&)>
      set;
};

bool ParseInteger(const std::string& text, int base, int64_t* out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, base);
  if (errno != 0 || *end != '\0') return false;
  *out = value;
  return true;
}

template <typename Field>
KeySpec IntegerKey(const char* key, Field Config::*field, int64_t min,
                   int64_t max, int base = 10) {
  return {key, [field, min, max, base](Config* config, const std::string& value,
                                      const std::string&) -> std::string {
            int64_t parsed = 0;
            if (!ParseInteger(value, base, &parsed)) return "not a whole number";
            if (parsed < min || parsed > max) {
              return "out of range [" + std::to_string(min) + ", " +
                     std::to_string(max) + "]";
            }
            config->*field = static_cast<Field>(parsed);
            return "";
          }};
}

KeySpec StringKey(const char* key, std::string Config::*field) {
  return {key, [field](Config* config, const std::string& value,
                       const std::string&) -> std::string {
            if (value.empty()) return "empty";
            config->*field = value;
            return "";
          }};
}

std::string ResolvePath(const std::string& path, const std::string& base_dir) {
  if (path.empty() || path[0] == '/') return path;
  return base_dir + "/" + path;
}

// An endpoint; a relative unix socket path is resolved like other paths.
KeySpec EndpointKey(const char* key, std::string Config::*field) {
  return {key, [field](Config* config, const std::string& value,
                       const std::string& base_dir) -> std::string {
            std::string unix_path, host;
            int port = 0;
            if (!ParseEndpoint(value, &unix_path, &host, &port)) {
              return "expected unix:/path or host:port";
            }
            config->*field = unix_path.empty()
                                 ? value
                                 : "unix:" + ResolvePath(unix_path, base_dir);
            return "";
          }};
}

// `redis`: an endpoint (a relative unix path taken relative to the config's
// directory), or a cluster:// or sentinel:// list (see RedisTarget).
KeySpec RedisKey(const char* key, std::string Config::*field) {
  return {key, [field](Config* config, const std::string& value,
                       const std::string& base_dir) -> std::string {
            RedisTarget target;
            std::string error;
            if (!ParseRedisTarget(value, &target, &error)) return error;
            config->*field = target.unix_path.empty()
                                 ? value
                                 : "unix:" + ResolvePath(target.unix_path, base_dir);
            return "";
          }};
}

KeySpec PathKey(const char* key, std::string Config::*field) {
  return {key, [field](Config* config, const std::string& value,
                       const std::string& base_dir) -> std::string {
            if (value.empty()) return "empty";
            config->*field = ResolvePath(value, base_dir);
            return "";
          }};
}

// Printable ASCII without spaces: what a Redis ACL user name or password
// may hold here (Redis's ACL syntax splits at spaces).
bool IsPrintableWord(const std::string& text) {
  for (char c : text) {
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

KeySpec RedisUserKey(const char* key) {
  return {key, [](Config* config, const std::string& value,
                  const std::string&) -> std::string {
            if (value.size() > kMaxRedisUserBytes || !IsPrintableWord(value)) {
              return "expected at most " + std::to_string(kMaxRedisUserBytes) +
                     " printable ASCII characters without spaces";
            }
            config->redis_user = value;
            return "";
          }};
}

// A path that may be empty (none).
KeySpec OptionalPathKey(const char* key, std::string Config::*field) {
  return {key, [field](Config* config, const std::string& value,
                       const std::string& base_dir) -> std::string {
            config->*field = ResolvePath(value, base_dir);
            return "";
          }};
}

// Reads the Redis password from config->redis_password_file. The file must
// be a regular file of this process's user that no one else may read or
// write (it opens the store to whoever reads it). Its one line is the
// password; a trailing newline is dropped.
Status ReadRedisPassword(Config* config) {
  const std::string& path = config->redis_password_file;
  // O_NONBLOCK: a FIFO named here must not hang the start (it is refused
  // as not a regular file below).
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    return Status(Code::kInternal, "redis_password_file " + path +
                                       " cannot be opened: " + std::strerror(errno));
  }
  struct stat info;
  std::string problem;
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    problem = "is not a regular file";
  } else if ((info.st_mode & 0077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", info.st_mode & 07777);
    problem = std::string("has mode ") + mode +
              "; others must not read or write it: chmod 600 it";
  } else if (info.st_uid != geteuid()) {
    problem = "is owned by uid " + std::to_string(info.st_uid) +
              ", not by this program's user (uid " + std::to_string(geteuid()) +
              "): chown it";
  }
  // One byte past the longest password and its newline tells "too long".
  char buffer[kMaxRedisPasswordBytes + 2];
  size_t size = 0;
  while (problem.empty() && size < sizeof(buffer)) {
    ssize_t n = read(fd, buffer + size, sizeof(buffer) - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) problem = std::string("cannot be read: ") + std::strerror(errno);
    if (n <= 0) break;
    size += static_cast<size_t>(n);
  }
  close(fd);
  if (problem.empty()) {
    std::string password(buffer, size);
    while (!password.empty() && password.back() == '\n') password.pop_back();
    if (password.empty() || password.size() > kMaxRedisPasswordBytes ||
        !IsPrintableWord(password)) {
      problem = "must hold one line of 1-" +
                std::to_string(kMaxRedisPasswordBytes) +
                " printable ASCII characters without spaces";
      Wipe(&password);
    } else {
      Wipe(&config->redis_password);
      config->redis_password = std::move(password);
    }
  }
  Wipe(buffer, sizeof(buffer));
  if (!problem.empty()) {
    return Status(Code::kInternal, "redis_password_file " + path + " " + problem);
  }
  return Status::Ok();
}

constexpr int64_t kTenYears = 10LL * 366 * 24 * 3600;

// Keys earlier versions read and this one ignores, so that a config kept
// over an upgrade still loads: password_iterations set PBKDF2's count
// before new hashes became Argon2id.
bool IsRetiredKey(const std::string& key) {
  return key == "password_iterations";
}

const std::vector<KeySpec>& KeyTable() {
  static const std::vector<KeySpec> table = {
      EndpointKey("listen", &Config::listen),
      IntegerKey("socket_mode", &Config::socket_mode, 0, 0777, 8),
      IntegerKey("workers", &Config::workers, 1, 256),
      RedisKey("redis", &Config::redis),
      IntegerKey("redis_connect_timeout_ms", &Config::redis_connect_timeout_ms,
                 1, 60000),
      IntegerKey("redis_command_timeout_ms", &Config::redis_command_timeout_ms,
                 1, 60000),
      IntegerKey("redis_retry_ms", &Config::redis_retry_ms, 0, 60000),
      IntegerKey("redis_replicas_ack", &Config::redis_replicas_ack, -1, 16),
      IntegerKey("redis_replicas_ack_timeout_ms",
                 &Config::redis_replicas_ack_timeout_ms, 1, 60000),
      RedisUserKey("redis_user"),
      OptionalPathKey("redis_password_file", &Config::redis_password_file),
      PathKey("master_secret_file", &Config::master_secret_file),
      StringKey("token_location", &Config::token_location),
      IntegerKey("token_default_ttl", &Config::token_default_ttl, 1, kTenYears),
      IntegerKey("token_max_ttl", &Config::token_max_ttl, 1, kTenYears),
      IntegerKey("invite_ttl", &Config::invite_ttl, 1, kTenYears),
      IntegerKey("max_temporary_token_ttl", &Config::max_temporary_token_ttl,
                 1, kTenYears),
      IntegerKey("password_memory_kib", &Config::password_memory_kib,
                 kMinPasswordMemoryKib, kMaxPasswordMemoryKib),
      IntegerKey("password_time_cost", &Config::password_time_cost, 1,
                 kMaxPasswordTimeCost),
      IntegerKey("password_parallelism", &Config::password_parallelism, 1,
                 kMaxPasswordParallelism),
      IntegerKey("login_failures_per_user", &Config::login_failures_per_user,
                 1, 1000000),
      IntegerKey("login_failures_per_address",
                 &Config::login_failures_per_address, 1, 1000000),
      IntegerKey("login_failure_window", &Config::login_failure_window, 1,
                 86400),
      IntegerKey("max_tokens_per_user", &Config::max_tokens_per_user, 1,
                 1000000),
      IntegerKey("read_cache_entries", &Config::read_cache_entries, 0,
                 kMaxReadCacheEntries),
      IntegerKey("read_cache_bytes", &Config::read_cache_bytes, 0,
                 kMaxReadCacheBytes),
      IntegerKey("password_cache_seconds", &Config::password_cache_seconds, 0,
                 86400),
      IntegerKey("password_hash_concurrency",
                 &Config::password_hash_concurrency, 0, kMaxPasswordHashConcurrency),
      IntegerKey("password_hash_queue", &Config::password_hash_queue, 1,
                 kMaxPasswordHashQueue),
      IntegerKey("password_hash_wait_ms", &Config::password_hash_wait_ms, 1,
                 60000),
      IntegerKey("login_trusted_address_days",
                 &Config::login_trusted_address_days, 0, 3650),
      IntegerKey("max_spaces_per_user", &Config::max_spaces_per_user, 1,
                 1000000),
      IntegerKey("max_pending_invites_per_space",
                 &Config::max_pending_invites_per_space, 1, 1000000),
      IntegerKey("max_named_tokens_per_user",
                 &Config::max_named_tokens_per_user, 1, 1000000),
      IntegerKey("named_token_use_flush_seconds",
                 &Config::named_token_use_flush_seconds, 1, 60),
      IntegerKey("max_custom_metadata_bytes",
                 &Config::max_custom_metadata_bytes, 2,
                 kMaxCustomMetadataBytes),
  };
  return table;
}

}  // namespace

bool ParseEndpoint(const std::string& endpoint, std::string* unix_path,
                   std::string* host, int* port) {
  unix_path->clear();
  host->clear();
  *port = 0;
  if (endpoint.rfind("unix:", 0) == 0) {
    *unix_path = endpoint.substr(5);
    return !unix_path->empty();
  }
  size_t colon = endpoint.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  int64_t parsed = 0;
  if (!ParseInteger(endpoint.substr(colon + 1), 10, &parsed) || parsed < 1 ||
      parsed > 65535) {
    return false;
  }
  *host = endpoint.substr(0, colon);
  *port = static_cast<int>(parsed);
  return true;
}

namespace {

// "host:port" or "[v6]:port" into `hosts`; false for anything else.
bool AddHostPort(const std::string& text,
                 std::vector<std::pair<std::string, int>>* hosts) {
  std::string unix_path, host;
  int port = 0;
  if (text.rfind("unix:", 0) == 0 ||
      !ParseEndpoint(text, &unix_path, &host, &port)) {
    return false;
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return false;  // an IPv6 address must be in brackets
  }
  if (host.empty() || host.find_first_of("[]/ ,") != std::string::npos) {
    return false;
  }
  hosts->emplace_back(host, port);
  return true;
}

// "h:p,h:p,..." into `hosts`.
bool AddHostList(const std::string& list,
                 std::vector<std::pair<std::string, int>>* hosts) {
  size_t start = 0;
  while (true) {
    const size_t comma = list.find(',', start);
    if (!AddHostPort(list.substr(start, comma - start), hosts)) return false;
    if (comma == std::string::npos) return true;
    start = comma + 1;
  }
}

}  // namespace

bool ParseRedisTarget(const std::string& text, RedisTarget* target,
                      std::string* error) {
  *target = RedisTarget{};
  const std::string cluster = "cluster://";
  const std::string sentinel = "sentinel://";
  if (text.rfind(cluster, 0) == 0) {
    target->kind = RedisTarget::Kind::kCluster;
    if (!AddHostList(text.substr(cluster.size()), &target->hosts)) {
      *error = "expected cluster://host:port,host:port,...";
      return false;
    }
    return true;
  }
  if (text.rfind(sentinel, 0) == 0) {
    target->kind = RedisTarget::Kind::kSentinel;
    const std::string rest = text.substr(sentinel.size());
    const size_t slash = rest.find('/');
    if (slash == std::string::npos || slash + 1 == rest.size() ||
        rest.find_first_of("/ ", slash + 1) != std::string::npos ||
        !AddHostList(rest.substr(0, slash), &target->hosts)) {
      *error = "expected sentinel://host:port,host:port,.../mastername";
      return false;
    }
    target->master_name = rest.substr(slash + 1);
    return true;
  }
  std::string host;
  int port = 0;
  if (!ParseEndpoint(text, &target->unix_path, &host, &port)) {
    *error = "expected unix:/path, host:port, cluster://... or sentinel://...";
    return false;
  }
  if (target->unix_path.empty() && !AddHostPort(text, &target->hosts)) {
    *error = "expected unix:/path, host:port ([v6]:port), cluster://... or "
             "sentinel://...";
    return false;
  }
  return true;
}

Status LoadConfig(const std::string& path, Config* config) {
  // ifstream happily "reads" a directory as empty, which would start the
  // daemon on defaults: insist on a regular file.
  struct stat info;
  if (stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return Status(Code::kInternal, "config " + path + " is not a readable file");
  }
  std::ifstream in(path);
  if (!in) return Status(Code::kInternal, "cannot read config file " + path);
  size_t slash = path.rfind('/');
  std::string base_dir = slash == std::string::npos ? "." : path.substr(0, slash);
  if (base_dir.empty()) base_dir = "/";

  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    std::string where = path + ":" + std::to_string(line_number) + ": ";
    size_t hash = line.find('#');
    if (hash != std::string::npos) line.erase(hash);
    line = std::string(TrimWhitespace(line));
    if (line.empty()) continue;
    size_t equals = line.find('=');
    if (equals == std::string::npos) {
      return Status(Code::kInternal, where + "expected key = value");
    }
    std::string key(TrimWhitespace(std::string_view(line).substr(0, equals)));
    std::string value(TrimWhitespace(std::string_view(line).substr(equals + 1)));
    const KeySpec* spec = nullptr;
    for (const KeySpec& candidate : KeyTable()) {
      if (key == candidate.key) spec = &candidate;
    }
    if (spec == nullptr && IsRetiredKey(key)) continue;
    if (spec == nullptr) return Status(Code::kInternal, where + "unknown key " + key);
    std::string problem = spec->set(config, value, base_dir);
    if (!problem.empty()) {
      return Status(Code::kInternal, where + key + ": " + problem);
    }
  }
  if (config->token_default_ttl > config->token_max_ttl) {
    return Status(Code::kInternal,
                  path + ": token_default_ttl exceeds token_max_ttl");
  }
  if (config->redis_user.empty() != config->redis_password_file.empty()) {
    return Status(Code::kInternal,
                  path + ": redis_user and redis_password_file go together");
  }
  Wipe(&config->redis_password);
  if (!config->redis_password_file.empty()) return ReadRedisPassword(config);
  return Status::Ok();
}

Config::~Config() { Wipe(&redis_password); }

}  // namespace tokend
