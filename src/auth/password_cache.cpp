// Verified passwords, shared by the workers (see password_cache.h).
#include "tokend/auth/password_cache.h"

#include <sched.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <new>

#include "tokend/common/clock.h"

namespace tokend {

namespace {

constexpr size_t kSlots = PasswordCache::kSlots;
constexpr size_t kTagWords = kSha256Bytes / sizeof(uint64_t);

// Longest a caller waits for another one's hash of the same password before
// hashing it itself (a full hash takes about half a second here).
constexpr int64_t kAwaitMilliseconds = 3000;
constexpr int kAwaitPollMilliseconds = 2;

struct Slot {
  // Odd while a writer fills the slot.
  std::atomic<uint64_t> sequence;
  std::atomic<uint64_t> tag[kTagWords];
  std::atomic<int64_t> expires_at;
  // The hash in progress for this slot's user (first tag word, and until
  // when others wait for it, CLOCK_MONOTONIC ms): callers that miss on the
  // same password wait for that one hash instead of each paying their own.
  std::atomic<uint64_t> pending_tag;
  std::atomic<int64_t> pending_until_ms;
};

struct Table {
  uint8_t key[kSha256Bytes];
  bool usable;  // false when no random key could be made
  Slot slots[kSlots];
};

Table* g_table = nullptr;
bool g_table_shared = false;  // g_table is the mapping, not a heap table

// Made on first use in a process that did not share one before forking.
Table* TableForThisProcess() {
  if (g_table == nullptr) {
    g_table = new Table();  // zeroed: every slot empty, sequence even
    g_table->usable = RandomBytes(g_table->key, sizeof(g_table->key));
  }
  return g_table;
}

Digest Mac(const Table& table, const std::string& message) {
  // The key's states hashed once per thread and table (the table, so its
  // key, changes only in unit tests): two of these per basic-auth request.
  struct Keyed {
    const Table* table = nullptr;
    std::unique_ptr<KeyedHmacSha256> mac;
  };
  thread_local Keyed keyed;
  if (keyed.table != &table) {
    keyed.mac = std::make_unique<KeyedHmacSha256>(table.key, sizeof(table.key));
    keyed.table = &table;
  }
  Digest out;
  keyed.mac->Compute(message, out.data());
  return out;
}

// The slot of a user name: spread by the keyed hash, so nobody can aim two
// names at one slot.
Slot& SlotFor(Table& table, const std::string& name) {
  Digest where = Mac(table, "slot:" + name);
  uint64_t index;
  std::memcpy(&index, where.data(), sizeof(index));
  return table.slots[index % kSlots];
}

// Length-prefixed fields, so no two different triples share a message.
Digest Tag(const Table& table, const std::string& name,
           const std::string& password, const std::string& stored_hash) {
  std::string message;
  message.reserve(name.size() + password.size() + stored_hash.size() + 32);
  message = "tag:";
  for (const std::string* field : {&name, &password, &stored_hash}) {
    message += std::to_string(field->size());
    message += ':';
    message += *field;
  }
  Digest tag = Mac(table, message);
  Wipe(&message);
  return tag;
}

// Fills `slot` if its sequence is still `sequence`: nobody wrote it since
// and nobody writes it now. Otherwise this write is dropped (a cache may
// forget), so that it never puts back what a newer write replaced.
void WriteIfUnchanged(Slot& slot, uint64_t sequence, const uint64_t* words,
                      int64_t expires_at) {
  if ((sequence & 1) ||
      !slot.sequence.compare_exchange_strong(sequence, sequence + 1,
                                             std::memory_order_acquire)) {
    return;
  }
  for (size_t i = 0; i < kTagWords; ++i) {
    slot.tag[i].store(words[i], std::memory_order_relaxed);
  }
  slot.expires_at.store(expires_at, std::memory_order_relaxed);
  slot.sequence.store(sequence + 2, std::memory_order_release);
}

void Write(Slot& slot, const uint64_t* words, int64_t expires_at) {
  WriteIfUnchanged(slot, slot.sequence.load(std::memory_order_relaxed), words,
                   expires_at);
}

// Reads `slot` as no writer left it half-written, and the sequence it had;
// false when writers kept it busy for every try (a miss: the caller pays a
// hash).
bool Read(Slot& slot, uint64_t* words, int64_t* expires_at,
          uint64_t* sequence) {
  constexpr int kTries = 4;
  for (int attempt = 0; attempt < kTries; ++attempt) {
    if (attempt > 0) sched_yield();  // let a preempted writer finish
    uint64_t before = slot.sequence.load(std::memory_order_acquire);
    if (before & 1) continue;
    for (size_t i = 0; i < kTagWords; ++i) {
      words[i] = slot.tag[i].load(std::memory_order_relaxed);
    }
    *expires_at = slot.expires_at.load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (slot.sequence.load(std::memory_order_relaxed) == before) {
      *sequence = before;
      return true;
    }
  }
  return false;
}

uint64_t FirstWord(const Digest& tag) {
  uint64_t word;
  std::memcpy(&word, tag.data(), sizeof(word));
  return word | 1;  // never 0, which means "none pending"
}

bool PendingFor(const Slot& slot, uint64_t word, int64_t now_ms) {
  return slot.pending_tag.load(std::memory_order_acquire) == word &&
         slot.pending_until_ms.load(std::memory_order_acquire) > now_ms;
}

// Clears the mark of the hash of `word`, unless another has replaced it.
void ClearPending(Slot& slot, uint64_t word) {
  slot.pending_tag.compare_exchange_strong(word, 0, std::memory_order_acq_rel);
}

}  // namespace

bool InitSharedPasswordCache() {
  void* memory = mmap(nullptr, sizeof(Table), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return false;
  // Anonymous mappings start zeroed: every slot empty, sequence even.
  Table* table = new (memory) Table();
  table->usable = RandomBytes(table->key, sizeof(table->key));
  // Caches look the table up on every call, so a process-local one made
  // before (unit tests) can go.
  if (g_table != nullptr && !g_table_shared) delete g_table;
  g_table = table;
  g_table_shared = true;
  return true;
}

PasswordCache::PasswordCache(int ttl_seconds) : ttl_seconds_(ttl_seconds) {
  if (!TableForThisProcess()->usable) ttl_seconds_ = 0;  // no key, no cache
}

bool PasswordCache::Contains(const std::string& name,
                             const std::string& password,
                             const std::string& stored_hash, int64_t now) {
  if (ttl_seconds_ == 0) return false;
  Table& table = *TableForThisProcess();
  Slot& slot = SlotFor(table, name);
  uint64_t words[kTagWords];
  int64_t expires_at = 0;
  uint64_t sequence = 0;
  if (!Read(slot, words, &expires_at, &sequence)) return false;
  if (expires_at <= now) {
    // Gone for good, even for a clock that steps back.
    if (expires_at != 0) {
      const uint64_t empty[kTagWords] = {};
      WriteIfUnchanged(slot, sequence, empty, 0);
    }
    return false;
  }
  Digest tag = Tag(table, name, password, stored_hash);
  if (!ConstantTimeEquals(tag.data(), words, tag.size())) return false;
  // An entry in use lives on: otherwise, once a busy client's entry
  // expired, every worker its requests reached would hash at once.
  // Rewritten at most once per half ttl, so hits seldom write.
  if (expires_at - now < ttl_seconds_ / 2 + 1) {
    WriteIfUnchanged(slot, sequence, words, now + ttl_seconds_);
  }
  return true;
}

bool PasswordCache::AwaitOrClaim(const std::string& name,
                                 const std::string& password,
                                 const std::string& stored_hash, int64_t now) {
  if (ttl_seconds_ == 0) return false;
  Table& table = *TableForThisProcess();
  Slot& slot = SlotFor(table, name);
  const uint64_t word = FirstWord(Tag(table, name, password, stored_hash));
  const int64_t deadline = MonotonicMilliseconds() + kAwaitMilliseconds;
  bool waited = false;
  while (PendingFor(slot, word, MonotonicMilliseconds()) &&
         MonotonicMilliseconds() < deadline) {
    waited = true;
    usleep(kAwaitPollMilliseconds * 1000);
    if (Contains(name, password, stored_hash, now)) return true;
  }
  // Remember writes the entry before it clears the mark, so a wait that
  // ended with the mark may have just missed the entry. (Without a wait,
  // the caller's own Contains has just missed.)
  if (waited && Contains(name, password, stored_hash, now)) return true;
  // Nobody is hashing it (or they gave up): this caller does. Two callers
  // that get here at the same moment both hash, as they would without this.
  slot.pending_until_ms.store(MonotonicMilliseconds() + kAwaitMilliseconds,
                              std::memory_order_release);
  slot.pending_tag.store(word, std::memory_order_release);
  return false;
}

void PasswordCache::Release(const std::string& name,
                            const std::string& password,
                            const std::string& stored_hash) {
  if (ttl_seconds_ == 0) return;
  Table& table = *TableForThisProcess();
  ClearPending(SlotFor(table, name),
               FirstWord(Tag(table, name, password, stored_hash)));
}

void PasswordCache::Remember(const std::string& name,
                             const std::string& password,
                             const std::string& stored_hash, int64_t now) {
  if (ttl_seconds_ == 0) return;
  Table& table = *TableForThisProcess();
  Digest tag = Tag(table, name, password, stored_hash);
  uint64_t words[kTagWords];
  std::memcpy(words, tag.data(), sizeof(words));
  Slot& slot = SlotFor(table, name);
  Write(slot, words, now + ttl_seconds_);
  ClearPending(slot, FirstWord(tag));
}

}  // namespace tokend
