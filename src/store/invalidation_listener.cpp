// The connection Redis sends tracked keys' invalidations to (see
// invalidation_listener.h).
#include "tokend/store/invalidation_listener.h"

namespace tokend {

namespace {

constexpr char kInvalidateChannel[] = "__redis__:invalidate";

// More waiting than this in one drain and the listener cannot be sure Redis
// was not holding the rest back because the socket was full: the cache is
// emptied instead. A unix socket fills at about 200 KiB of kernel memory
// (the sender's SO_SNDBUF), which small messages (about 1 KiB each in the
// kernel, 80 bytes of payload) reach at about 20 KiB of payload; this
// stays well below that. An idle worker collects about 80 bytes per key it
// cached that changed.
constexpr size_t kMaxDrainBytes = 4096;

}  // namespace

InvalidationListener::InvalidationListener(RedisEndpoint endpoint,
                                           RedisSettings* settings)
    : connection_(std::move(endpoint), settings) {}

void InvalidationListener::Disconnect() {
  connection_.Disconnect();
  subscribed_ = false;
}

Status InvalidationListener::EnsureSubscribed() {
  if (subscribed_ && connection_.connected()) return Status::Ok();
  subscribed_ = false;
  connection_.Disconnect();
  std::string wire;
  AppendResp({"CLIENT", "ID"}, &wire);
  AppendResp({"SUBSCRIBE", kInvalidateChannel}, &wire);
  std::vector<RedisReply> replies;
  Status status = connection_.Exchange(wire, 2, &replies);
  if (!status.ok()) return status;
  // SUBSCRIBE's reply: ["subscribe", channel, 1].
  if (replies[0].type != RedisReply::Type::kInteger ||
      replies[1].type != RedisReply::Type::kArray ||
      replies[1].elements.size() != 3 ||
      replies[1].elements[0].text != "subscribe") {
    connection_.Disconnect();
    const RedisReply& error =
        replies[0].type == RedisReply::Type::kError ? replies[0] : replies[1];
    return error.type == RedisReply::Type::kError
               ? RedisErrorStatus(error.text)
               : Status(Code::kInternal, "unexpected reply to SUBSCRIBE");
  }
  client_id_ = replies[0].integer;
  subscribed_ = true;
  return Status::Ok();
}

Invalidations InvalidationListener::Drain() {
  Invalidations found;
  if (!subscribed_) {
    found.everything = true;
    return found;
  }
  std::vector<RedisReply> messages;
  size_t bytes = 0;
  if (!connection_.ReceiveAvailable(kMaxDrainBytes, &messages, &bytes).ok()) {
    subscribed_ = false;
    found.everything = true;
    return found;
  }
  for (const RedisReply& message : messages) {
    // ["message", "__redis__:invalidate", [key, ...] or nil]
    if (message.type != RedisReply::Type::kArray ||
        message.elements.size() != 3 || message.elements[0].text != "message") {
      continue;
    }
    const RedisReply& keys = message.elements[2];
    if (keys.type != RedisReply::Type::kArray) {
      found.everything = true;  // a flush: every key changed
      continue;
    }
    for (const RedisReply& key : keys.elements) found.keys.push_back(key.text);
  }
  return found;
}

}  // namespace tokend
