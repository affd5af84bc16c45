// One Redis connection with timeouts and reconnection (see
// redis_connection.h).
#include "tokend/store/redis_connection.h"

#include <hiredis/hiredis.h>

#include <cerrno>
#include <cstdio>
#include <memory>

#include "tokend/common/crypto.h"

namespace tokend {

namespace {

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

timeval ToTimeval(int milliseconds) {
  timeval tv;
  tv.tv_sec = milliseconds / 1000;
  tv.tv_usec = (milliseconds % 1000) * 1000;
  return tv;
}

RedisReply CopyReply(const redisReply* reply) {
  RedisReply out;
  switch (reply->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = reply->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(reply->elements);
      for (size_t i = 0; i < reply->elements; ++i) {
        out.elements.push_back(CopyReply(reply->element[i]));
      }
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}

// Whether the failure was the server side going away (EOF, reset, broken
// pipe) rather than a timeout.
bool PeerClosed(const redisContext* context) {
  if (context->err == REDIS_ERR_EOF) return true;
  return context->err == REDIS_ERR_IO &&
         (errno == ECONNRESET || errno == EPIPE || errno == ENOTCONN);
}

}  // namespace

std::string RedisEndpoint::Name() const {
  if (!unix_path.empty()) return "unix:" + unix_path;
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

void AppendResp(const RedisCommand& command, std::string* wire) {
  *wire += '*';
  *wire += std::to_string(command.size());
  *wire += "\r\n";
  for (const std::string& arg : command) {
    *wire += '$';
    *wire += std::to_string(arg.size());
    *wire += "\r\n";
    *wire += arg;
    *wire += "\r\n";
  }
}

void LogRedisLoginRefused(RedisSettings* settings, const std::string& text) {
  if (settings->login_refusal_logged) return;
  settings->login_refusal_logged = true;
  const std::string said = text.substr(0, 200);
  if (settings->user.empty()) {
    std::fprintf(stderr,
                 "%s: Redis requires a login (%s); set redis_user and "
                 "redis_password_file in the config\n",
                 program_invocation_short_name, said.c_str());
  } else {
    std::fprintf(stderr,
                 "%s: Redis refused the login as %s (%s); check redis_user "
                 "and redis_password_file in the config\n",
                 program_invocation_short_name, settings->user.c_str(),
                 said.c_str());
  }
}

RedisConnection::RedisConnection(RedisEndpoint endpoint, RedisSettings* settings)
    : endpoint_(std::move(endpoint)), settings_(settings) {}

RedisConnection::~RedisConnection() { Disconnect(); }

void RedisConnection::Disconnect() {
  if (context_ != nullptr) redisFree(context_);
  context_ = nullptr;
}

Status RedisConnection::Fail(Failure failure) {
  failure_ = failure;
  Disconnect();
  return RedisUnavailable();
}

Status RedisConnection::Connect() {
  timeval timeout = ToTimeval(settings_->connect_timeout_ms);
  context_ = endpoint_.unix_path.empty()
                 ? redisConnectWithTimeout(endpoint_.host.c_str(),
                                           endpoint_.port, timeout)
                 : redisConnectUnixWithTimeout(endpoint_.unix_path.c_str(),
                                               timeout);
  if (context_ == nullptr || context_->err != 0 ||
      redisSetTimeout(context_, ToTimeval(settings_->command_timeout_ms)) !=
          REDIS_OK) {
    return Fail(Failure::kConnect);
  }
  return LogIn();
}

Status RedisConnection::LogIn() {
  if (settings_->user.empty()) return Status::Ok();
  std::string wire;
  AppendResp({"AUTH", settings_->user, settings_->password}, &wire);
  int sent = redisAppendFormattedCommand(context_, wire.data(), wire.size());
  Wipe(&wire);
  void* raw = nullptr;
  if (sent != REDIS_OK || redisGetReply(context_, &raw) != REDIS_OK ||
      raw == nullptr) {
    return Fail(Failure::kConnect);
  }
  ReplyPtr reply(static_cast<redisReply*>(raw));
  if (reply->type == REDIS_REPLY_ERROR) {
    std::string text(reply->str, reply->len);
    // LOADING and the like: Redis is not ready, not refusing us.
    if (!IsTransientRedisError(text)) LogRedisLoginRefused(settings_, text);
    return Fail(Failure::kConnect);
  }
  settings_->login_refusal_logged = false;
  return Status::Ok();
}

Status RedisConnection::Send(const std::string& wire) {
  failure_ = Failure::kNone;
  reused_ = context_ != nullptr;
  if (!reused_) {
    Status status = Connect();
    if (!status.ok()) return status;
  }
  if (redisAppendFormattedCommand(context_, wire.data(), wire.size()) !=
      REDIS_OK) {
    return Fail(Failure::kOther);
  }
  // Written out now, not at the first read, so that a client sending to
  // several servers waits for all of them at once.
  int done = 0;
  while (done == 0) {
    if (redisBufferWrite(context_, &done) != REDIS_OK) {
      return Fail(reused_ && PeerClosed(context_) ? Failure::kPeerClosed
                                                  : Failure::kOther);
    }
  }
  return Status::Ok();
}

Status RedisConnection::Receive(size_t count, std::vector<RedisReply>* replies) {
  replies->clear();
  replies->reserve(count);
  for (size_t i = 0; i < count; ++i) {
    void* raw = nullptr;
    if (context_ == nullptr || redisGetReply(context_, &raw) != REDIS_OK ||
        raw == nullptr) {
      // I/O error or timeout: the stream is out of step, start afresh.
      const bool closed = context_ != nullptr && reused_ && PeerClosed(context_);
      replies->clear();
      return Fail(closed ? Failure::kPeerClosed : Failure::kOther);
    }
    ReplyPtr reply(static_cast<redisReply*>(raw));
    replies->push_back(CopyReply(reply.get()));
    if (replies->back().IsError("NOAUTH")) {
      LogRedisLoginRefused(settings_, replies->back().text);
    }
  }
  return Status::Ok();
}

Status RedisConnection::Exchange(const std::string& wire, size_t count,
                                 std::vector<RedisReply>* replies) {
  replies->clear();
  Status status = Send(wire);
  if (!status.ok()) return status;
  return Receive(count, replies);
}

}  // namespace tokend
