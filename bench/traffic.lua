-- Signed-in partners for wrk: polls, timeline views, check-ins and article reads in the mix
-- given by ATTUNE_MIX (e.g. "poll=70,timeline=15,checkin=10,article=5").
--
-- wrk runs this in each of its threads. bench/load.py starts it with one connection per
-- thread, so a thread's requests and responses alternate strictly and each thread can act
-- like a browser: it keeps every partner's live cursor and moves it on from the news a poll
-- or a check-in brings back, as the page does. ATTUNE_USERS names a Lua file returning the
-- partners: {session=, csrf=, checkin=, answer=}. Counts by kind and status are printed as
-- one JSON line at the end.

local users = dofile(os.getenv("ATTUNE_USERS"))
local slugs = {}
for slug in string.gmatch(os.getenv("ATTUNE_ARTICLES") or "", "[^,]+") do
  slugs[#slugs + 1] = slug
end

local kinds, weights, total = {}, {}, 0
for kind, weight in string.gmatch(os.getenv("ATTUNE_MIX"), "(%a+)=(%d+)") do
  kinds[#kinds + 1] = kind
  total = total + tonumber(weight)
  weights[#weights + 1] = total
end

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
  threads[#threads + 1] = thread
end

local mine = {}
-- A global, so that done() can read every thread's counts with thread:get().
counts = {}
local last_kind, last_user

function init(args)
  -- Each thread owns a disjoint share of the partners, so no two connections act for the
  -- same person at once (as with one browser tab each).
  local step = tonumber(os.getenv("ATTUNE_THREADS"))
  for i = thread_index + 1, #users, step do
    mine[#mine + 1] = users[i]
  end
  math.randomseed(7919 * (thread_index + 1))
end

local states = {"regulated", "regulated", "activated", "shutdown"}
local needs = {"none", "connect", "space"}

local function pick_kind()
  local roll = math.random(total)
  for i, bound in ipairs(weights) do
    if roll <= bound then
      return kinds[i]
    end
  end
end

function request()
  local user = mine[math.random(#mine)]
  local kind = pick_kind()
  last_kind, last_user = kind, user
  local headers = {Cookie = "sessionid=" .. user.session .. "; csrftoken=" .. user.csrf}
  if kind == "poll" then
    headers["HX-Request"] = "true"
    return wrk.format("GET", "/timeline/poll/?checkin=" .. user.checkin .. "&answer=" ..
      user.answer .. "&top=" .. (user.top or ""), headers)
  elseif kind == "timeline" then
    return wrk.format("GET", "/timeline/", headers)
  elseif kind == "checkin" then
    headers["HX-Request"] = "true"
    headers["X-CSRFToken"] = user.csrf
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    local body = "state=" .. states[math.random(#states)] .. "&intensity=" ..
      math.random(5) .. "&need=" .. needs[math.random(#needs)] .. "&note_visibility=only_me" ..
      "&checkin=" .. user.checkin .. "&answer=" .. user.answer .. "&top=" .. (user.top or "")
    return wrk.format("POST", "/timeline/checkins/", headers, body)
  elseif kind == "article" then
    return wrk.format("GET", "/articles/" .. slugs[math.random(#slugs)] .. "/", headers)
  end
  return wrk.format("GET", "/bench/floor/", headers)
end

function response(status, headers, body)
  local key = last_kind .. " " .. status
  counts[key] = (counts[key] or 0) + 1
  if status == 200 and body and last_kind ~= "article" then
    -- The page, its news and a check-in's answer carry the page's next cursor.
    local checkin = string.match(body, 'name="checkin" value="(%d+)"')
    local answer = string.match(body, 'name="answer" value="(%d+)"')
    local top = string.match(body, 'name="top" value="([%d-]*)"')
    if checkin and answer then
      last_user.checkin, last_user.answer, last_user.top = checkin, answer, top
    end
  end
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("counts")) do
      merged[key] = (merged[key] or 0) + n
    end
  end
  local parts = {}
  for key, n in pairs(merged) do
    parts[#parts + 1] = string.format('"%s": %d', key, n)
  end
  local errors = summary.errors
  io.write(string.format(
    'ATTUNE_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "timeouts": %d, "non_2xx_3xx": %d, "by_kind_status": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, errors.connect, errors.read, errors.write,
    errors.timeout, errors.status, table.concat(parts, ", ")))
end
