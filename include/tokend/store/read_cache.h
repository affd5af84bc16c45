// ReadCache: the replies to a worker's own Redis reads (a token's record,
// its user's fields), kept so that the next request asking the same read is
// answered without a round trip. Redis tells the worker when a key it read
// changes (client-side caching, store/invalidation_listener.h), and the
// worker drops every cached read of that key (Invalidate) or everything
// (Clear) before it looks here again.
//
// Bounded in entries and in bytes (an estimate of what an entry costs in
// the heap); the least recently used entry goes first. A bound of 0 entries
// keeps nothing. And in age: an entry answers for at most `max_age` after
// it was kept (by default kReadCacheMaxAge: the writers' barrier relies on
// marks that outlive every entry, tracked_reads.h).
//
// Not thread-safe: one per RedisClient.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <string>
#include <unordered_map>
#include <vector>

#include "tokend/store/redis_reply.h"

namespace tokend {

// How long a cached read may answer: half the life of the mark its read left
// in Redis (kCacheMarkSeconds, tracked_reads.h).
constexpr std::chrono::seconds kReadCacheMaxAge{1800};

class ReadCache {
 public:
  // `max_entries` reads, `max_bytes` bytes at most (both: 0 keeps nothing),
  // each for at most `max_age`.
  ReadCache(size_t max_entries, size_t max_bytes,
            std::chrono::steady_clock::duration max_age = kReadCacheMaxAge);
  ReadCache(const ReadCache&) = delete;
  ReadCache& operator=(const ReadCache&) = delete;

  // The reply cached for `command` (which reads the one key `command[1]`),
  // or nullptr (an entry past its age is dropped); a hit makes the entry
  // the most recently used. The pointer holds until the next call that
  // changes the cache.
  const RedisReply* Find(const RedisCommand& command);
  // Keeps `reply` for `command`, evicting the least recently used entries
  // while a bound would be passed. An entry larger than max_bytes is not
  // kept.
  void Remember(const RedisCommand& command, const RedisReply& reply);
  // Drops every cached read of `key`; the number dropped.
  size_t Invalidate(const std::string& key);
  // Drops everything.
  void Clear();

  size_t entries() const { return entries_.size(); }
  size_t bytes() const { return bytes_; }
  bool enabled() const { return max_entries_ > 0 && max_bytes_ > 0; }

 private:
  struct Entry {
    std::string wire;  // the command in RESP: the lookup key
    std::string key;   // the Redis key it reads
    RedisReply reply;
    size_t bytes = 0;
    std::chrono::steady_clock::time_point kept_at;
  };
  using Lru = std::list<Entry>;  // most recently used first

  void Erase(Lru::iterator entry);

  size_t max_entries_;
  size_t max_bytes_;
  std::chrono::steady_clock::duration max_age_;
  size_t bytes_ = 0;
  Lru entries_;
  std::unordered_map<std::string, Lru::iterator> by_wire_;
  std::unordered_map<std::string, std::vector<Lru::iterator>> by_key_;
};

}  // namespace tokend
