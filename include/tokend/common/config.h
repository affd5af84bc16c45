// Config: the daemon's settings, read from one `key = value` file. Every key,
// its bounds and its default live in one table in src/common/config.cpp; the
// shipped config/onezone-tokend.conf.example documents each of them.
//
// Config is a plain value; load it once, then share it read-only. It holds
// the Redis password read at load, and wipes it when it goes away.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "tokend/common/status.h"

namespace tokend {

struct Config {
  Config() = default;
  Config(const Config&) = default;
  Config& operator=(const Config&) = default;
  ~Config();  // wipes redis_password

  // FastCGI endpoint: "unix:/path/to.sock" or "host:port".
  std::string listen = "unix:/run/onezone-tokend/fcgi.sock";
  // Permissions of the unix socket, so nginx's user can connect.
  int socket_mode = 0660;
  // Worker processes, each with its own Redis connection. Mostly they
  // wait on Redis, and writes wait for its fsync: more workers let Redis
  // put more writes under one fsync.
  int workers = 16;
  // Redis: one server, "unix:/path/to.sock" or "host:port"; a Redis
  // Cluster, "cluster://host:port,host:port,..." (nodes to ask for the
  // slot map first); or the primary Redis Sentinel names,
  // "sentinel://host:port,host:port,.../mastername" (see RedisTarget).
  std::string redis = "unix:/run/redis-onezone-tokend/redis-server.sock";
  // Bounds so that no worker hangs on a dead Redis (milliseconds).
  int redis_connect_timeout_ms = 500;
  int redis_command_timeout_ms = 2000;
  // How long a request may wait out a cluster or a Sentinel failover in
  // transition (a replica taking over, a slot moving, a primary not yet
  // known) before it gets 503 (milliseconds).
  int redis_retry_ms = 1000;
  // Replicas that must confirm every write before it is acknowledged
  // (WAIT, in the write's own round trip), and how long they may take;
  // fewer in time is 503. -1: one when the primary had a replica when the
  // connection was made, else none (see README, Redis Cluster).
  int redis_replicas_ack = -1;
  int redis_replicas_ack_timeout_ms = 1000;
  // The Redis ACL user to log in as (AUTH right after each connect) and the
  // file holding its password: one line, mode 0600 or stricter, owned by
  // the user the program runs as. Both or neither; neither (the default):
  // no AUTH, Redis's default user.
  std::string redis_user;
  std::string redis_password_file;
  // The password LoadConfig read from redis_password_file. Never logged.
  std::string redis_password;
  // File holding the master secret every token key derives from; created
  // with mode 0600 on first start.
  std::string master_secret_file = "/var/lib/onezone-tokend/master.key";
  // The macaroon location of issued tokens.
  std::string token_location = "onezone";
  // Lifetime of a new access token when the request names none, and the
  // largest `ttl` a request may ask for (seconds).
  int64_t token_default_ttl = 31536000;
  int64_t token_max_ttl = 31536000;
  // Lifetime of a space invitation token (seconds; 7 days).
  int64_t invite_ttl = 604800;
  // Argon2id parameters of new password hashes (OWASP: m=19 MiB, t=2,
  // p=1): memory in KiB, passes over it, lanes. Within the hard limits of
  // limits.h, which also bound what a stored hash may ask for.
  int password_memory_kib = 19456;
  int password_time_cost = 2;
  int password_parallelism = 1;
  // Failed basic-auth attempts allowed per user and per client address in
  // one window (seconds) before requests get 429 without a password check.
  int login_failures_per_user = 10;
  int login_failures_per_address = 100;
  int login_failure_window = 300;
  // Live access tokens one user may hold.
  int max_tokens_per_user = 1000;
  // Spaces one user may be a member of.
  int max_spaces_per_user = 1000;
  // Read and checked but no longer used: it bounded a space's pending seed
  // invitations; the invitation endpoints now issue named invitations,
  // bounded by max_named_tokens_per_user.
  int max_pending_invites_per_space = 1000;
  // Named tokens (the successor API): live ones one user may hold, and the
  // largest customMetadata object one may carry (bytes of its JSON text).
  int max_named_tokens_per_user = 1000;
  int max_custom_metadata_bytes = 65536;
  // The furthest a temporary token's time caveat may lie ahead (seconds;
  // Onezone ships 30 days).
  int64_t max_temporary_token_ttl = 2592000;
  // How often each worker writes the named-token uses it noted (their
  // metadata.lastUsed) to Redis, in seconds: how stale lastUsed may be.
  int named_token_use_flush_seconds = 30;
  // Client-side caching of token and user reads (store/tracked_reads.h):
  // the reads each worker keeps, and the heap bytes they may take. 0 in
  // either turns the cache off. It is on only for a single Redis on a unix
  // socket: under Redis Cluster, Sentinel or TCP it is off whatever these
  // say.
  int read_cache_entries = 16384;
  int read_cache_bytes = 8388608;
  // How long a worker remembers a verified password, in memory only (s).
  int password_cache_seconds = 300;
  // Slow password hashes running at once in the whole pool (0: one per
  // core), requests allowed to wait for one, and how long each may wait
  // (ms) before it gets 503 with Retry-After.
  int password_hash_concurrency = 0;
  int password_hash_queue = 64;
  int password_hash_wait_ms = 2000;
  // A user locked by failed logins is still let in from an address they
  // logged in from successfully within this many days.
  int login_trusted_address_days = 30;
};

// Reads `path` over the defaults. Unknown keys, bad values and values out of
// bounds are errors naming the line. Relative paths are taken relative to
// the directory of `path`. Reads the Redis password from
// redis_password_file, refusing a file others may read or write or that
// another user owns; no error text holds any of the file's content.
Status LoadConfig(const std::string& path, Config* config);

// Splits an endpoint: "unix:/x" sets `unix_path` = "/x"; "host:port" sets
// `host` and `port`. False when it is neither (or the port is not 1-65535).
bool ParseEndpoint(const std::string& endpoint, std::string* unix_path,
                   std::string* host, int* port);

// Where the config's `redis` says Redis is.
struct RedisTarget {
  enum class Kind { kSingle, kCluster, kSentinel };
  Kind kind = Kind::kSingle;
  std::string unix_path;  // kSingle over a unix socket
  // kSingle over TCP: the server; kCluster: the seed nodes; kSentinel: the
  // sentinels. An IPv6 host is written "[::1]:6379" and kept bare here.
  std::vector<std::pair<std::string, int>> hosts;
  std::string master_name;  // kSentinel
};

// Parses the `redis` value; false (and an error for the config's message)
// when it is none of the forms above.
bool ParseRedisTarget(const std::string& text, RedisTarget* target,
                      std::string* error);

}  // namespace tokend
