// One Redis connection with timeouts and reconnection (see
// redis_connection.h).
#include "tokend/store/redis_connection.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <memory>

#include "tokend/common/crypto.h"
#include "tokend/common/metrics.h"

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

// Takes the next reply off a unix socket's `context`, reading when hiredis
// holds none yet; false on an I/O error, a protocol error or `timeout_ms`
// without a byte. It waits in poll for bytes to read, never in a blocking
// read: a unix socket has one wait queue for both directions, so a read
// asleep on it is woken again each time Redis takes in the command just
// sent, only to find nothing and sleep again. poll wakes only for bytes to
// read. That wake-up was a third of a worker's context switches on writes,
// and a switch costs more than the rest of a write request on a virtual
// machine. (TCP wakes a writer only when its send buffer was full, so over
// TCP the poll would only add a system call: the blocking read stays.)
bool GetReplyWhenReadable(redisContext* context, int timeout_ms, void** raw) {
  for (;;) {
    if (redisReaderGetReply(context->reader, raw) != REDIS_OK) return false;
    if (*raw != nullptr) return true;
    pollfd socket = {context->fd, POLLIN, 0};
    const int ready = poll(&socket, 1, timeout_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    // Readable, or closed: the read says which.
    if (redisBufferRead(context) != REDIS_OK) return false;
  }
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
  Status status = LogIn();
  if (status.ok()) status = LearnReplicas();
  fresh_ = status.ok();
  if (status.ok()) ++generation_;
  return status;
}

Status RedisConnection::LearnReplicas() {
  replicas_to_wait_ = settings_->replicas_ack;
  if (replicas_to_wait_ >= 0) return Status::Ok();
  // ROLE of a primary: ["master", offset, [[host, port, offset], ...]].
  std::string wire;
  AppendResp({"ROLE"}, &wire);
  void* raw = nullptr;
  if (redisAppendFormattedCommand(context_, wire.data(), wire.size()) !=
          REDIS_OK ||
      redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
    return Fail(Failure::kConnect);
  }
  ReplyPtr reply(static_cast<redisReply*>(raw));
  const bool primary_with_replicas =
      reply->type == REDIS_REPLY_ARRAY && reply->elements == 3 &&
      reply->element[2]->type == REDIS_REPLY_ARRAY &&
      reply->element[2]->elements > 0;
  replicas_to_wait_ = primary_with_replicas ? 1 : 0;
  return Status::Ok();
}

Status RedisConnection::EnsureConnected() {
  failure_ = Failure::kNone;
  return context_ != nullptr ? Status::Ok() : Connect();
}

bool RedisConnection::AppendReplicaWait(bool writes, std::string* wire) const {
  if (!writes || replicas_to_wait_ <= 0) return false;
  AppendResp({"WAIT", std::to_string(replicas_to_wait_),
              std::to_string(settings_->replicas_ack_timeout_ms)},
             wire);
  return true;
}

Status RedisConnection::TakeReplicaWait(std::vector<RedisReply>* replies) const {
  const RedisReply wait = std::move(replies->back());
  replies->pop_back();
  if (wait.type == RedisReply::Type::kInteger &&
      wait.integer >= replicas_to_wait_) {
    return Status::Ok();
  }
  // A primary demoted meanwhile wrote nothing: its READONLY is the answer.
  for (const RedisReply& reply : *replies) {
    if (reply.IsError("READONLY")) return Status::Ok();
  }
  CountRedisError();
  return Status(Code::kServiceUnavailable,
                "The change was made but no replica of the token store "
                "confirmed it in time; check and repeat it shortly.");
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
  Status status = EnsureConnected();
  if (!status.ok()) return status;
  reused_ = !fresh_;
  fresh_ = false;
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
    const bool got =
        context_ != nullptr &&
        (endpoint_.unix_path.empty()
             ? redisGetReply(context_, &raw) == REDIS_OK && raw != nullptr
             : GetReplyWhenReadable(context_, settings_->command_timeout_ms,
                                    &raw));
    if (!got) {
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

Status RedisConnection::ReceiveAvailable(size_t max_bytes,
                                         std::vector<RedisReply>* replies,
                                         size_t* bytes) {
  replies->clear();
  *bytes = 0;
  if (context_ == nullptr) return Fail(Failure::kConnect);
  char buffer[16384];
  for (;;) {
    const ssize_t got = recv(context_->fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (got > 0) {
      *bytes += static_cast<size_t>(got);
      if (*bytes > max_bytes ||
          redisReaderFeed(context_->reader, buffer, static_cast<size_t>(got)) !=
              REDIS_OK) {
        return Fail(Failure::kOther);
      }
      continue;
    }
    if (got == 0) return Fail(Failure::kPeerClosed);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    return Fail(Failure::kOther);
  }
  for (;;) {
    void* raw = nullptr;
    if (redisReaderGetReply(context_->reader, &raw) != REDIS_OK) {
      return Fail(Failure::kOther);
    }
    if (raw == nullptr) return Status::Ok();
    ReplyPtr reply(static_cast<redisReply*>(raw));
    replies->push_back(CopyReply(reply.get()));
  }
}

int RedisConnection::fd() const {
  return context_ == nullptr ? -1 : context_->fd;
}

bool RedisConnection::IdleConnectionGone() {
  if (context_ == nullptr) return true;
  char byte;
  ssize_t got;
  do {
    got = recv(context_->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  } while (got < 0 && errno == EINTR);
  if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
  Fail(got == 0 ? Failure::kPeerClosed : Failure::kOther);
  return true;
}

Status RedisConnection::Exchange(const std::string& wire, size_t count,
                                 std::vector<RedisReply>* replies) {
  replies->clear();
  Status status = Send(wire);
  if (!status.ok()) return status;
  return Receive(count, replies);
}

Status ExchangeWithReplicaWait(RedisConnection* connection, std::string wire,
                               size_t count, bool writes,
                               std::vector<RedisReply>* replies) {
  Status status = connection->EnsureConnected();
  if (!status.ok()) return status;
  const bool waits = connection->AppendReplicaWait(writes, &wire);
  status = connection->Exchange(wire, count + (waits ? 1 : 0), replies);
  if (!status.ok() || !waits) return status;
  return connection->TakeReplicaWait(replies);
}

}  // namespace tokend
