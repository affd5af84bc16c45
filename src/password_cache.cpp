// In-memory cache of verified passwords (see password_cache.h).
#include "tokend/password_cache.h"

namespace tokend {

PasswordCache::PasswordCache(int ttl_seconds) : ttl_seconds_(ttl_seconds) {
  if (!RandomBytes(key_.data(), key_.size())) ttl_seconds_ = 0;  // no key, no cache
}

Digest PasswordCache::Tag(const std::string& name, const std::string& password,
                          const std::string& stored_hash) {
  // Length-prefixed fields, so no two different triples share a message.
  std::string message;
  message.reserve(name.size() + password.size() + stored_hash.size() + 24);
  for (const std::string* field : {&name, &password, &stored_hash}) {
    message += std::to_string(field->size());
    message += ':';
    message += *field;
  }
  Digest tag;
  HmacSha256::ForThisThread().Compute(key_.data(), key_.size(), message,
                                      tag.data());
  Wipe(&message);
  return tag;
}

bool PasswordCache::Contains(const std::string& name,
                             const std::string& password,
                             const std::string& stored_hash, int64_t now) {
  if (ttl_seconds_ == 0) return false;
  auto it = entries_.find(name);
  if (it == entries_.end()) return false;
  if (it->second.expires_at <= now) {
    entries_.erase(it);
    return false;
  }
  Digest tag = Tag(name, password, stored_hash);
  return ConstantTimeEquals(tag.data(), it->second.tag.data(), tag.size());
}

void PasswordCache::Remember(const std::string& name,
                             const std::string& password,
                             const std::string& stored_hash, int64_t now) {
  if (ttl_seconds_ == 0) return;
  if (entries_.size() >= kMaxEntries && entries_.count(name) == 0) {
    entries_.clear();
  }
  entries_[name] = Entry{Tag(name, password, stored_hash), now + ttl_seconds_};
}

}  // namespace tokend
