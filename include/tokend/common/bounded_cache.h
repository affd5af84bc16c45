// BoundedCache: a small in-process map with a size bound, for values a
// worker can recompute but would rather not on every request (a minted
// token string, a password hash it accepted). On overflow it starts afresh:
// simpler than LRU and, for a per-worker cache that refills in
// microseconds, as good. The bound is in entries, so keys and values must
// be small by construction; what a client sizes needs a bound in bytes too
// (VerifiedTokenCache in auth/token_auth.h).
//
// Not thread-safe: one per worker.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>

namespace tokend {

template <typename Value>
class BoundedCache {
 public:
  explicit BoundedCache(size_t max_entries) : max_entries_(max_entries) {}

  // The cached value, or nullptr.
  const Value* Find(const std::string& key) const {
    auto it = entries_.find(key);
    return it == entries_.end() ? nullptr : &it->second;
  }

  // Stores `value` under `key` and returns the stored copy (valid until
  // the next Put or Erase).
  const Value& Put(const std::string& key, Value value) {
    if (entries_.size() >= max_entries_ && entries_.count(key) == 0) {
      entries_.clear();
    }
    Value& stored = entries_[key];
    stored = std::move(value);
    return stored;
  }

  void Erase(const std::string& key) { entries_.erase(key); }
  size_t size() const { return entries_.size(); }

 private:
  size_t max_entries_;
  std::unordered_map<std::string, Value> entries_;
};

}  // namespace tokend
