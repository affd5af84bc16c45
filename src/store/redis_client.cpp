// Redis connection with timeouts and automatic reconnection (see
// redis_client.h).
#include "tokend/store/redis_client.h"

#include <hiredis/hiredis.h>

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

// Appends `command` in Redis's wire format (RESP): the whole pipeline goes
// to hiredis as one buffer. hiredis's own formatting (one sds per command,
// a printf-style call per argument) was 4.5% of a worker's CPU on writes.
void AppendResp(const RedisCommand& command, std::string* out) {
  *out += '*';
  *out += std::to_string(command.size());
  *out += "\r\n";
  for (const std::string& arg : command) {
    *out += '$';
    *out += std::to_string(arg.size());
    *out += "\r\n";
    *out += arg;
    *out += "\r\n";
  }
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

// Error replies that mean "Redis cannot serve right now" rather than "this
// command is wrong": loading its data after a restart, busy in a script,
// refusing writes it cannot persist, out of memory under noeviction, a
// read-only replica, a cluster in transition.
bool IsTransientError(const std::string& text) {
  static const char* const kPrefixes[] = {"LOADING", "BUSY", "MISCONF", "OOM",
                                          "READONLY", "MASTERDOWN", "TRYAGAIN",
                                          "CLUSTERDOWN"};
  for (const char* prefix : kPrefixes) {
    if (text.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

Status Unavailable() {
  CountRedisError();
  return Status(Code::kServiceUnavailable,
                "The token store is unavailable; try again shortly.");
}

// Logs a refused login, once until one succeeds again: the user, Redis's
// words and where to look; never the password.
void LogLoginRefused(const std::string& user, const std::string& text,
                     bool* logged) {
  if (*logged) return;
  *logged = true;
  const std::string said = text.substr(0, 200);
  if (user.empty()) {
    std::fprintf(stderr,
                 "%s: Redis requires a login (%s); set redis_user and "
                 "redis_password_file in the config\n",
                 program_invocation_short_name, said.c_str());
  } else {
    std::fprintf(stderr,
                 "%s: Redis refused the login as %s (%s); check redis_user "
                 "and redis_password_file in the config\n",
                 program_invocation_short_name, user.c_str(), said.c_str());
  }
}

// The Status of an error reply: 503 for a transient state, else internal.
Status ErrorReply(const std::string& text) {
  // NOSCRIPT is the normal first answer to EVALSHA (see Run), not a fault.
  if (text.rfind("NOSCRIPT", 0) != 0) CountRedisError();
  // NOAUTH: Redis wants a login this client was not configured for (logged
  // where it is seen): the store is unavailable, not a fault of the request.
  if (IsTransientError(text) || text.rfind("NOAUTH", 0) == 0) {
    return Status(Code::kServiceUnavailable,
                  "The token store is unavailable; try again shortly.");
  }
  return Status(Code::kInternal, "Redis error: " + text.substr(0, 200));
}

}  // namespace

RedisClient::RedisClient(const Config& config)
    : connect_timeout_ms_(config.redis_connect_timeout_ms),
      command_timeout_ms_(config.redis_command_timeout_ms),
      user_(config.redis_user),
      password_(config.redis_password) {
  ParseEndpoint(config.redis, &unix_path_, &host_, &port_);
}

RedisClient::~RedisClient() {
  Disconnect();
  Wipe(&password_);
}

void RedisClient::Disconnect() {
  if (context_ != nullptr) redisFree(context_);
  context_ = nullptr;
}

Status RedisClient::Connect() {
  if (context_ != nullptr) return Status::Ok();
  timeval timeout = ToTimeval(connect_timeout_ms_);
  context_ = unix_path_.empty()
                 ? redisConnectWithTimeout(host_.c_str(), port_, timeout)
                 : redisConnectUnixWithTimeout(unix_path_.c_str(), timeout);
  if (context_ == nullptr || context_->err != 0 ||
      redisSetTimeout(context_, ToTimeval(command_timeout_ms_)) != REDIS_OK) {
    Disconnect();
    return Unavailable();
  }
  return LogIn();
}

Status RedisClient::LogIn() {
  if (user_.empty()) return Status::Ok();
  std::string wire;
  AppendResp({"AUTH", user_, password_}, &wire);
  int sent = redisAppendFormattedCommand(context_, wire.data(), wire.size());
  Wipe(&wire);
  void* raw = nullptr;
  if (sent != REDIS_OK || redisGetReply(context_, &raw) != REDIS_OK ||
      raw == nullptr) {
    Disconnect();
    return Unavailable();
  }
  ReplyPtr reply(static_cast<redisReply*>(raw));
  if (reply->type == REDIS_REPLY_ERROR) {
    std::string text(reply->str, reply->len);
    Disconnect();
    // LOADING and the like: Redis is not ready, not refusing us.
    if (!IsTransientError(text)) {
      LogLoginRefused(user_, text, &login_refusal_logged_);
    }
    return Unavailable();
  }
  login_refusal_logged_ = false;
  return Status::Ok();
}

Status RedisClient::Pipeline(const std::vector<RedisCommand>& commands,
                             std::vector<RedisReply>* replies) {
  if (!to_prefetch_.empty()) return PipelineWithPrefetched(commands, replies);
  // A connection kept from an earlier request may have died with a Redis
  // restart; that shows only when it is used, as the peer having closed it.
  // Only that case gets one retry on a fresh connection: a timeout means
  // Redis is alive but slow and may still run the command, so resending
  // could run it twice (and would double the wait).
  bool reused = context_ != nullptr;
  peer_closed_ = false;
  Status status = PipelineOnce(commands, replies);
  if (reused && peer_closed_) status = PipelineOnce(commands, replies);
  return status;
}

Status RedisClient::PipelineOnce(const std::vector<RedisCommand>& commands,
                                 std::vector<RedisReply>* replies) {
  replies->clear();
  Status status = Connect();
  if (!status.ok()) return status;
  std::string wire;
  for (const RedisCommand& command : commands) AppendResp(command, &wire);
  if (redisAppendFormattedCommand(context_, wire.data(), wire.size()) !=
      REDIS_OK) {
    Disconnect();
    return Unavailable();
  }
  Status first_error;
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(context_, &raw) != REDIS_OK || raw == nullptr) {
      // I/O error or timeout: the stream is out of step, start afresh.
      peer_closed_ = PeerClosed(context_);
      Disconnect();
      replies->clear();
      return Unavailable();
    }
    ReplyPtr reply(static_cast<redisReply*>(raw));
    replies->push_back(CopyReply(reply.get()));
    if (replies->back().type == RedisReply::Type::kError && first_error.ok()) {
      first_error = ErrorReply(replies->back().text);
      if (replies->back().text.rfind("NOAUTH", 0) == 0) {
        LogLoginRefused(user_, replies->back().text, &login_refusal_logged_);
      }
    }
  }
  return first_error;
}

Status RedisClient::PipelineWithPrefetched(
    const std::vector<RedisCommand>& commands, std::vector<RedisReply>* replies) {
  std::vector<RedisCommand> extra = std::move(to_prefetch_);
  to_prefetch_.clear();
  std::vector<RedisCommand> all = commands;
  for (const RedisCommand& command : extra) {
    all.push_back(command[0] == "EVAL" ? ByHash(command) : command);
  }
  Status status = Pipeline(all, replies);
  if (replies->size() != all.size()) return status;  // no answer at all
  for (size_t i = 0; i < extra.size(); ++i) {
    RedisReply& reply = (*replies)[commands.size() + i];
    if (reply.type != RedisReply::Type::kError) {
      prefetched_.emplace_back(std::move(extra[i]), std::move(reply));
    }
  }
  replies->resize(commands.size());
  // Only an error of the caller's own commands is the caller's business.
  for (const RedisReply& reply : *replies) {
    if (reply.type == RedisReply::Type::kError) return ErrorReply(reply.text);
  }
  return Status::Ok();
}

void RedisClient::Prefetch(RedisCommand command) {
  if (!command.empty()) to_prefetch_.push_back(std::move(command));
}

void RedisClient::DropPrefetched() {
  to_prefetch_.clear();
  prefetched_.clear();
}

RedisCommand RedisClient::ByHash(const RedisCommand& eval) {
  // Scripts go by their SHA1 (EVALSHA), so Redis neither receives nor
  // hashes the script text on every call; the text follows only when
  // Redis does not know the script yet (first use, or after a restart).
  RedisCommand by_hash = eval;
  by_hash[0] = "EVALSHA";
  by_hash[1] = ScriptSha1(eval[1]);
  return by_hash;
}

Status RedisClient::Run(const RedisCommand& command, RedisReply* reply) {
  for (auto it = prefetched_.begin(); it != prefetched_.end(); ++it) {
    if (it->first == command) {
      *reply = std::move(it->second);
      prefetched_.erase(it);
      return Status::Ok();
    }
  }
  std::vector<RedisReply> replies;
  Status status;
  if (command.size() >= 2 && command[0] == "EVAL") {
    status = Pipeline({ByHash(command)}, &replies);
    if (!replies.empty() && replies[0].type == RedisReply::Type::kError &&
        replies[0].text.rfind("NOSCRIPT", 0) == 0) {
      status = Pipeline({command}, &replies);
    }
  } else {
    status = Pipeline({command}, &replies);
  }
  if (!status.ok()) return status;
  *reply = std::move(replies[0]);
  return Status::Ok();
}

const std::string& RedisClient::ScriptSha1(const std::string& script) {
  std::string& sha1 = script_sha1_[script];
  if (sha1.empty()) sha1 = Sha1Hex(script);
  return sha1;
}

Status RedisClient::Transaction(const std::vector<RedisCommand>& commands,
                                std::vector<RedisReply>* replies) {
  std::vector<RedisCommand> wrapped;
  wrapped.reserve(commands.size() + 2);
  wrapped.push_back({"MULTI"});
  wrapped.insert(wrapped.end(), commands.begin(), commands.end());
  wrapped.push_back({"EXEC"});
  std::vector<RedisReply> raw;
  Status status = Pipeline(wrapped, &raw);
  replies->clear();
  if (!status.ok()) return status;
  RedisReply& exec = raw.back();
  if (exec.type != RedisReply::Type::kArray ||
      exec.elements.size() != commands.size()) {
    return Status(Code::kInternal, "Redis transaction was aborted");
  }
  *replies = std::move(exec.elements);
  for (const RedisReply& reply : *replies) {
    if (reply.type == RedisReply::Type::kError) return ErrorReply(reply.text);
  }
  return Status::Ok();
}

}  // namespace tokend
