// The bounded LRU of a worker's Redis reads (see read_cache.h).
#include "tokend/store/read_cache.h"

#include <algorithm>

#include "tokend/store/redis_connection.h"

namespace tokend {

namespace {

// What an entry costs beyond its strings' contents: the list node, the two
// map nodes and their buckets, the heap blocks of its strings (rounded up
// from what glibc's malloc takes on x86-64), and per reply element.
constexpr size_t kEntryOverheadBytes = 320;
constexpr size_t kReplyOverheadBytes = sizeof(RedisReply) + 32;

size_t ReplyBytes(const RedisReply& reply) {
  size_t bytes = kReplyOverheadBytes + reply.text.size();
  for (const RedisReply& element : reply.elements) bytes += ReplyBytes(element);
  return bytes;
}

}  // namespace

ReadCache::ReadCache(size_t max_entries, size_t max_bytes,
                     std::chrono::steady_clock::duration max_age)
    : max_entries_(max_entries), max_bytes_(max_bytes), max_age_(max_age) {}

const RedisReply* ReadCache::Find(const RedisCommand& command) {
  if (entries_.empty()) return nullptr;
  std::string wire;
  AppendResp(command, &wire);
  auto it = by_wire_.find(wire);
  if (it == by_wire_.end()) return nullptr;
  if (std::chrono::steady_clock::now() - it->second->kept_at > max_age_) {
    Erase(it->second);
    return nullptr;
  }
  entries_.splice(entries_.begin(), entries_, it->second);
  return &it->second->reply;
}

void ReadCache::Remember(const RedisCommand& command, const RedisReply& reply) {
  if (!enabled() || command.size() < 2) return;
  Entry entry;
  AppendResp(command, &entry.wire);
  entry.key = command[1];
  entry.bytes = kEntryOverheadBytes + 2 * entry.wire.size() +
                2 * entry.key.size() + ReplyBytes(reply);
  if (entry.bytes > max_bytes_) return;
  auto old = by_wire_.find(entry.wire);
  if (old != by_wire_.end()) Erase(old->second);
  while (!entries_.empty() && (entries_.size() >= max_entries_ ||
                               bytes_ + entry.bytes > max_bytes_)) {
    Erase(std::prev(entries_.end()));
  }
  entry.reply = reply;
  entry.kept_at = std::chrono::steady_clock::now();
  bytes_ += entry.bytes;
  entries_.push_front(std::move(entry));
  auto stored = entries_.begin();
  by_wire_.emplace(stored->wire, stored);
  by_key_[stored->key].push_back(stored);
}

size_t ReadCache::Invalidate(const std::string& key) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return 0;
  const std::vector<Lru::iterator> reads = it->second;
  for (Lru::iterator read : reads) Erase(read);
  return reads.size();
}

void ReadCache::Clear() {
  by_key_.clear();
  by_wire_.clear();
  entries_.clear();
  bytes_ = 0;
}

void ReadCache::Erase(Lru::iterator entry) {
  auto reads = by_key_.find(entry->key);
  if (reads != by_key_.end()) {
    std::vector<Lru::iterator>& list = reads->second;
    list.erase(std::remove(list.begin(), list.end(), entry), list.end());
    if (list.empty()) by_key_.erase(reads);
  }
  by_wire_.erase(entry->wire);
  bytes_ -= entry->bytes;
  entries_.erase(entry);
}

}  // namespace tokend
