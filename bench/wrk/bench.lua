-- wrk script for scripts/bench: the request mixes of the benchmark, and a
-- count of every response that is not a success (a benchmark of errors is no
-- benchmark: scripts/bench fails when the count is not zero).
--
--   wrk ... [-H 'X-Auth-Token: ...'] -s bench/wrk/bench.lua URL -- MODE [ARGS]
--
-- URL is the API base (https://127.0.0.1:PORT/api/v3/onezone). Requests are
-- the same for the service and the ceiling. Modes:
--
--   get PATH            GET URL..PATH on every request (credentials: -H)
--   post PATH BODY      POST URL..PATH with the JSON BODY on every request
--                       (a service's verify request: no credentials)
--   loop service        POST /user/client_tokens, then DELETE the token that
--                       came back, and so on; live tokens stay few (-H)
--   loop ceiling TOKEN  the same mix for the ceiling, which returns no token:
--                       POST and DELETE TOKEN by turns (a real token, so the
--                       requests have the service's size)
--   named-loop service  POST /user/tokens/named (a new name each time, a
--                       time caveat a year ahead), then DELETE
--                       /tokens/named/{tokenId} of the one that came back (-H)
--   named-loop ceiling ID  the same mix for the ceiling: POST, and DELETE
--                       /tokens/named/ID, by turns
--   create USERS OUT    POST /user/client_tokens as the users of the file
--                       USERS.<thread id> (lines `TOKEN QUOTA`: X-Auth-Token
--                       of the user, and how many more tokens that user may
--                       get, so no user ever reaches the service's cap), in
--                       turn; append each token made to OUT.<thread id>
--                       (OUT `-`: keep none)
--   delete TOKENS [cycle]  DELETE each token of TOKENS.<thread id> once,
--                       authenticated by that token itself (X-Auth-Token);
--                       `cycle`: over and over, for the ceiling
--
-- wrk runs for its whole -d even when a thread stops, so scripts/bench gives
-- create and delete runs more than they can use; a thread that runs out
-- stops, ending with one GET /user counted as `extra`. done() prints:
--   bench-lua: ok=N bad=N posts=N deletes=N gets=N extra=N first_bad=...

local base_path = nil
local mode = nil
local get_path = nil
local post_request = nil
local ceiling = false
local placeholder = nil
local out = nil
local pending = {}      -- loop: tokens to delete next (this thread's)
local named = false     -- loop: named tokens (named-loop)
local named_until = 0   -- named-loop: the time caveat of the tokens made
local users = {}        -- create: {request, quota} per user
local next_user = 1
local tokens = {}       -- delete: this thread's tokens
local next_token = 1
local cycle = false
local stopping = false
local post_headers = nil
local final_request = nil

-- Read by done() through thread:get: globals of the thread's Lua state.
ok = 0
bad = 0
posts = 0
deletes = 0
gets = 0
extra = 0
first_bad = ""

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("id", thread_count)
  table.insert(threads, thread)
end

local function escape(token)
  return (token:gsub("[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

local function with(headers, name, value)
  local copy = {}
  for k, v in pairs(headers) do copy[k] = v end
  copy[name] = value
  return copy
end

function init(args)
  base_path = wrk.path
  mode = args[1]
  post_headers = with(wrk.headers, "Content-Type", "application/json")
  local tokens_path = base_path .. "/user/client_tokens"
  final_request = wrk.format("GET", base_path .. "/user")
  if mode == "get" then
    get_path = base_path .. args[2]
  elseif mode == "post" then
    post_request = wrk.format("POST", base_path .. args[2], post_headers, args[3])
  elseif mode == "loop" or mode == "named-loop" then
    named = mode == "named-loop"
    mode = "loop"
    ceiling = args[2] == "ceiling"
    placeholder = args[3]
    named_until = os.time() + 31536000
  elseif mode == "create" then
    for line in io.lines(args[2] .. "." .. id) do
      local token, quota = string.match(line, "^(%S+)%s+(%d+)$")
      if token ~= nil then
        table.insert(users, {
          request = wrk.format("POST", tokens_path,
                               with(post_headers, "X-Auth-Token", token), "{}"),
          quota = tonumber(quota)})
        if #users == 1 then
          final_request = wrk.format("GET", base_path .. "/user",
                                     with(wrk.headers, "X-Auth-Token", token))
        end
      end
    end
    if args[3] ~= "-" then
      out = assert(io.open(args[3] .. "." .. id, "a"))
    end
  elseif mode == "delete" then
    cycle = args[3] == "cycle"
    for line in io.lines(args[2] .. "." .. id) do
      if line ~= "" then table.insert(tokens, line) end
    end
    if #tokens > 0 then
      final_request = wrk.format("GET", base_path .. "/user",
                                 with(wrk.headers, "X-Auth-Token", tokens[#tokens]))
    end
  else
    error("unknown mode " .. tostring(mode))
  end
end

local function post()
  posts = posts + 1
  if named then
    -- Names unique across threads and runs: thread, run start, count.
    local body = string.format(
        '{"name": "b%d_%d_%d", "caveats": [{"type": "time", "validUntil": %d}]}',
        id, named_until, posts, named_until)
    return wrk.format("POST", base_path .. "/user/tokens/named", post_headers, body)
  end
  return wrk.format("POST", base_path .. "/user/client_tokens", post_headers, "{}")
end

local function delete(token, headers)
  deletes = deletes + 1
  if named then
    return wrk.format("DELETE", base_path .. "/tokens/named/" .. token, headers)
  end
  return wrk.format("DELETE", base_path .. "/user/client_tokens/" .. escape(token),
                    headers)
end

-- Ends this thread: its event loop stops after this request is written.
local function stop()
  if not stopping then
    stopping = true
    if out ~= nil then out:flush() end
    wrk.thread:stop()
  end
  extra = extra + 1
  return final_request
end

function request()
  if mode == "get" then
    gets = gets + 1
    return wrk.format("GET", get_path)
  elseif mode == "post" then
    posts = posts + 1
    return post_request
  elseif mode == "loop" then
    if ceiling then
      if (posts + deletes) % 2 == 0 then return post() end
      return delete(placeholder)
    end
    local token = table.remove(pending)
    if token ~= nil then return delete(token) end
    return post()
  elseif mode == "create" then
    for _ = 1, #users do
      local user = users[next_user]
      next_user = next_user % #users + 1
      if user.quota > 0 then
        user.quota = user.quota - 1
        posts = posts + 1
        return user.request
      end
    end
    return stop()
  else -- delete
    if cycle and next_token > #tokens then next_token = 1 end
    local token = tokens[next_token]
    if token == nil then return stop() end
    next_token = next_token + 1
    return delete(token, with(wrk.headers, "X-Auth-Token", token))
  end
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    bad = bad + 1
    if first_bad == "" then
      first_bad = tostring(status) .. " " .. string.sub(body or "", 1, 200)
    end
    return
  end
  ok = ok + 1
  if (mode == "loop" and not ceiling) or out ~= nil then
    local key = named and "tokenId" or "token"
    local token = body and string.match(body, '"' .. key .. '"%s*:%s*"([^"]+)"')
    if token ~= nil then
      if mode == "loop" then
        table.insert(pending, token)
      else
        out:write(token, "\n")
      end
    end
  end
end

function done(summary, latency, requests)
  local t = {ok = 0, bad = 0, posts = 0, deletes = 0, gets = 0, extra = 0}
  local first = ""
  for _, thread in ipairs(threads) do
    for key, _ in pairs(t) do
      t[key] = t[key] + (thread:get(key) or 0)
    end
    local f = thread:get("first_bad")
    if first == "" and f ~= nil then first = f end
  end
  io.write(string.format(
    "bench-lua: ok=%d bad=%d posts=%d deletes=%d gets=%d extra=%d first_bad=%s\n",
    t.ok, t.bad, t.posts, t.deletes, t.gets, t.extra,
    (first:gsub("[\r\n]", " "))))
end
