// The cluster's slot map (see slot_map.h).
#include "tokend/store/slot_map.h"

#include "tokend/common/text.h"

namespace tokend {

namespace {

// A node entry of CLUSTER SLOTS: [host, port, id?, ...].
bool ReadNode(const RedisReply& entry, std::string_view answering_host,
              ClusterNode* node) {
  if (entry.type != RedisReply::Type::kArray || entry.elements.size() < 2) {
    return false;
  }
  const RedisReply& host = entry.elements[0];
  const RedisReply& port = entry.elements[1];
  if (host.type != RedisReply::Type::kString ||
      port.type != RedisReply::Type::kInteger || port.integer <= 0 ||
      port.integer > 65535) {
    return false;
  }
  node->host = host.text.empty() ? std::string(answering_host) : host.text;
  if (node->host.empty()) return false;
  node->port = static_cast<int>(port.integer);
  return true;
}

bool ReadSlot(const RedisReply& value, int* slot) {
  if (value.type != RedisReply::Type::kInteger || value.integer < 0 ||
      value.integer >= kClusterSlots) {
    return false;
  }
  *slot = static_cast<int>(value.integer);
  return true;
}

}  // namespace

std::string ClusterNode::Address() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

SlotMap::SlotMap() : owner_(kClusterSlots, -1) {}

int SlotMap::NodeIndex(const ClusterNode& node) {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i] == node) return static_cast<int>(i);
  }
  nodes_.push_back(node);
  return static_cast<int>(nodes_.size() - 1);
}

Status SlotMap::Load(const RedisReply& slots, std::string_view answering_host) {
  nodes_.clear();
  owner_.assign(kClusterSlots, -1);
  const Status bad(Code::kInternal, "CLUSTER SLOTS gave a reply of another shape");
  if (slots.type != RedisReply::Type::kArray) return bad;
  for (const RedisReply& range : slots.elements) {
    int first = 0, last = 0;
    ClusterNode primary;
    if (range.type != RedisReply::Type::kArray || range.elements.size() < 3 ||
        !ReadSlot(range.elements[0], &first) ||
        !ReadSlot(range.elements[1], &last) || last < first ||
        !ReadNode(range.elements[2], answering_host, &primary)) {
      nodes_.clear();
      owner_.assign(kClusterSlots, -1);
      return bad;
    }
    const int16_t index = static_cast<int16_t>(NodeIndex(primary));
    for (int slot = first; slot <= last; ++slot) owner_[slot] = index;
  }
  return Status::Ok();
}

const ClusterNode* SlotMap::PrimaryFor(int slot) const {
  if (slot < 0 || slot >= kClusterSlots || owner_[slot] < 0) return nullptr;
  return &nodes_[owner_[slot]];
}

bool SlotMap::ApplyMoved(std::string_view error) {
  std::string kind;
  int slot = 0;
  ClusterNode node;
  if (!ParseRedirect(error, &kind, &slot, &node) || kind != "MOVED") {
    return false;
  }
  owner_[slot] = static_cast<int16_t>(NodeIndex(node));
  return true;
}

int SlotMap::holes() const {
  int count = 0;
  for (int16_t index : owner_) count += index < 0 ? 1 : 0;
  return count;
}

bool ParseRedirect(std::string_view error, std::string* kind, int* slot,
                   ClusterNode* node) {
  const size_t first_space = error.find(' ');
  if (first_space == std::string_view::npos) return false;
  const std::string_view word = error.substr(0, first_space);
  if (word != "MOVED" && word != "ASK") return false;
  const std::string_view rest = error.substr(first_space + 1);
  const size_t second_space = rest.find(' ');
  if (second_space == std::string_view::npos) return false;
  int64_t number = 0;
  if (!ParseDecimal(rest.substr(0, second_space), &number) ||
      number >= kClusterSlots) {
    return false;
  }
  const std::string_view address = rest.substr(second_space + 1);
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  int64_t port = 0;
  if (!ParseDecimal(address.substr(colon + 1), &port) || port <= 0 ||
      port > 65535) {
    return false;
  }
  std::string_view host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || host.find(' ') != std::string_view::npos) return false;
  *kind = std::string(word);
  *slot = static_cast<int>(number);
  node->host = std::string(host);
  node->port = static_cast<int>(port);
  return true;
}

}  // namespace tokend
