-- wrk script for scripts/soak: a mix of token creates, token-authenticated
-- reads, lists and deletes, recording every token the service acknowledged
-- and every token sent for deletion, so that bench/soak/soak.py can check
-- afterwards that no acknowledged token was lost.
--
--   wrk ... -s bench/soak/soak.lua URL -- USERS OUT TARGET_LIVE
--
-- URL is the API base (https://127.0.0.1:PORT/api/v3/onezone). USERS.<thread
-- id> holds this thread's users, one a line: `SESSION_TOKEN BASIC_B64` (a
-- token that is never deleted, and base64 of `name:password`). Each thread
-- appends the tokens whose create was answered 200 to OUT.<thread id>.created
-- and the tokens it sends a DELETE for to OUT.<thread id>.deleted.
--
-- The mix repeats every 10 requests: 3 creates (one in four with basic auth
-- as the thread's first user, the rest with a session token), 4 GET /user with the session token, 2
-- deletes and 1 list. A delete takes the oldest acknowledged token of this
-- thread and authenticates with that token itself (wrk cannot tell which
-- connection a response belongs to, and the token knows its owner). A create
-- becomes a delete while the thread holds more than TARGET_LIVE tokens, so
-- every user stays far below the service's cap on live tokens. Users are
-- taken in turn, so each sees every kind of request.
--
-- wrk gives response() no link to its request: responses are classified by
-- their body ({"token"} create, {"tokens"} list, {"userId"} GET /user, 204
-- delete). done() prints
--   soak-lua: sent_create=N sent_create_basic=N sent_user=N sent_list=N
--             sent_delete=N got_create=N got_user=N got_list=N got_delete=N
--             got_other=N
--   soak-lua-status: 200=N 204=N ...
--   soak-lua-first-bad: STATUS BODY (only if a response was not a success)

local base_path = nil
local users = {}
local next_user = 1
local pending = {}      -- acknowledged tokens not yet sent for deletion (FIFO)
local pending_head = 1
local pending_tail = 0
local target_live = 100
local created_out = nil
local deleted_out = nil
local step = 0
local creates = 0

local pattern = {"create", "user", "delete", "user", "create", "list", "user",
                 "delete", "create", "user"}

-- Read by done() through thread:get.
sent_create = 0
sent_create_basic = 0
sent_user = 0
sent_list = 0
sent_delete = 0
got_create = 0
got_user = 0
got_list = 0
got_delete = 0
got_other = 0
statuses = {}
first_bad = ""

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("id", thread_count)
  table.insert(threads, thread)
end

function init(args)
  base_path = wrk.path
  local users_file = args[1] .. "." .. id
  for line in io.lines(users_file) do
    local session, basic = string.match(line, "^(%S+)%s+(%S+)$")
    if session ~= nil then
      table.insert(users, {session = session, basic = basic})
    end
  end
  assert(#users > 0, "no users in " .. users_file)
  created_out = assert(io.open(args[2] .. "." .. id .. ".created", "a"))
  deleted_out = assert(io.open(args[2] .. "." .. id .. ".deleted", "a"))
  -- Line buffered: wrk ends its threads without a hook, so nothing may be
  -- left in a buffer then.
  created_out:setvbuf("line")
  deleted_out:setvbuf("line")
  target_live = tonumber(args[3]) or target_live
end

local function live()
  return pending_tail - pending_head + 1
end

local function take_user()
  local user = users[next_user]
  next_user = next_user % #users + 1
  return user
end

local function create()
  creates = creates + 1
  sent_create = sent_create + 1
  local headers = {["Content-Type"] = "application/json"}
  if creates % 4 == 0 then
    -- Basic auth as this thread's first user only: each worker then pays
    -- one full password hash per such user, and its password cache
    -- answers the rest, as in production.
    sent_create_basic = sent_create_basic + 1
    headers["Authorization"] = "Basic " .. users[1].basic
  else
    headers["X-Auth-Token"] = take_user().session
  end
  return wrk.format("POST", base_path .. "/user/client_tokens", headers, "{}")
end

local function delete()
  local token = pending[pending_head]
  pending[pending_head] = nil
  pending_head = pending_head + 1
  sent_delete = sent_delete + 1
  deleted_out:write(token, "\n")
  return wrk.format("DELETE", base_path .. "/user/client_tokens/" .. token,
                    {["X-Auth-Token"] = token})
end

function request()
  step = step + 1
  local op = pattern[(step - 1) % #pattern + 1]
  if op == "create" and live() > target_live then op = "delete" end
  if op == "delete" then
    if live() > 0 then return delete() end
    return create()
  elseif op == "create" then
    return create()
  elseif op == "user" then
    sent_user = sent_user + 1
    return wrk.format("GET", base_path .. "/user",
                      {["X-Auth-Token"] = take_user().session})
  else
    sent_list = sent_list + 1
    return wrk.format("GET", base_path .. "/user/client_tokens",
                      {["X-Auth-Token"] = take_user().session})
  end
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  body = body or ""
  if status == 204 then
    got_delete = got_delete + 1
    return
  end
  if status == 200 then
    local token = string.match(body, '"token"%s*:%s*"([^"]+)"')
    if token ~= nil then
      got_create = got_create + 1
      created_out:write(token, "\n")
      pending_tail = pending_tail + 1
      pending[pending_tail] = token
      return
    end
    if string.find(body, '"tokens"', 1, true) then
      got_list = got_list + 1
      return
    end
    if string.find(body, '"userId"', 1, true) then
      got_user = got_user + 1
      return
    end
  end
  got_other = got_other + 1
  if first_bad == "" then
    first_bad = key .. " " .. string.sub(body, 1, 200)
  end
end

function done(summary, latency, requests)
  local names = {"sent_create", "sent_create_basic", "sent_user", "sent_list",
                 "sent_delete", "got_create", "got_user", "got_list",
                 "got_delete", "got_other"}
  local totals = {}
  local status_totals = {}
  local first = ""
  for _, name in ipairs(names) do totals[name] = 0 end
  for _, thread in ipairs(threads) do
    for _, name in ipairs(names) do
      totals[name] = totals[name] + (thread:get(name) or 0)
    end
    for key, count in pairs(thread:get("statuses") or {}) do
      status_totals[key] = (status_totals[key] or 0) + count
    end
    local f = thread:get("first_bad")
    if first == "" and f ~= nil then first = f end
  end
  local parts = {}
  for _, name in ipairs(names) do
    table.insert(parts, name .. "=" .. totals[name])
  end
  io.write("soak-lua: ", table.concat(parts, " "), "\n")
  parts = {}
  for key, count in pairs(status_totals) do
    table.insert(parts, key .. "=" .. count)
  end
  table.sort(parts)
  io.write("soak-lua-status: ", table.concat(parts, " "), "\n")
  if first ~= "" then
    io.write("soak-lua-first-bad: ", (first:gsub("[\r\n]", " ")), "\n")
  end
end
