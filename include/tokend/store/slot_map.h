// SlotMap: which Redis Cluster primary serves each of the 16384 hash slots,
// as CLUSTER SLOTS tells (reply: one entry per slot range, [first, last,
// primary [host, port, id, ...], replica ..., ...]), and as a MOVED
// redirect corrects it one slot at a time ("MOVED 3999 127.0.0.1:6381").
// Issue 15's client routes each request's commands by it; a slot no node
// serves is a hole (the cluster is down there, or the map is stale).
//
// A plain value; not thread-safe (one per worker, as its RedisClient).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokend/common/status.h"
#include "tokend/store/key_slot.h"
#include "tokend/store/redis_reply.h"

namespace tokend {

struct ClusterNode {
  std::string host;
  int port = 0;

  bool operator==(const ClusterNode& other) const {
    return host == other.host && port == other.port;
  }
  // "host:port" ("[::1]:6379" for an IPv6 host).
  std::string Address() const;
};

class SlotMap {
 public:
  SlotMap();

  // Replaces the map with a CLUSTER SLOTS reply from the node at
  // `answering_host`, which stands for a node the reply names with an
  // empty host (a node that has not learnt its own address yet). kInternal
  // for a reply of another shape (the map is then left empty): a slot out
  // of range, a range backwards, a node without a port.
  Status Load(const RedisReply& slots, std::string_view answering_host);

  // The primary serving `slot`, or nullptr for a hole.
  const ClusterNode* PrimaryFor(int slot) const;
  // The primary serving `key`'s slot, or nullptr.
  const ClusterNode* PrimaryForKey(std::string_view key) const {
    return PrimaryFor(KeySlot(key));
  }

  // Applies a MOVED error's text ("MOVED <slot> <host>:<port>"): that slot
  // is served there from now on. False (nothing changed) for any other
  // text.
  bool ApplyMoved(std::string_view error);

  // Every primary the map names, each once, in the order first met.
  const std::vector<ClusterNode>& primaries() const { return nodes_; }
  // Slots no primary serves.
  int holes() const;

 private:
  int NodeIndex(const ClusterNode& node);

  std::vector<ClusterNode> nodes_;
  std::vector<int16_t> owner_;  // per slot: index into nodes_, -1 a hole
};

// Parses "MOVED <slot> <host>:<port>" or "ASK <slot> <host>:<port>" (the
// text of a redirect error); false for anything else. The host of an IPv6
// address is given without brackets.
bool ParseRedirect(std::string_view error, std::string* kind, int* slot,
                   ClusterNode* node);

}  // namespace tokend
