-- The load run's request mix (wrk): public pages, the calendar feed, directory search
-- and a signed-in company autosaving its answers. RENKEI_COOKIE and RENKEI_CSRF come
-- from scripts/load/run, which signs a company member in first.
local cookie = os.getenv("RENKEI_COOKIE") or ""
local csrf = os.getenv("RENKEI_CSRF") or ""
local form = os.getenv("RENKEI_FORM") or ""
local company = os.getenv("RENKEI_COMPANY") or ""

local reads = {
  "/", "/initiatives", "/events", "/calendar.ics", "/registry", "/offices",
  "/companies?q=%E5%88%87%E5%89%8A", "/companies?q=%E9%8B%B3%E9%80%A0&city=kawaguchi",
  "/api/v1/initiatives", "/feeds/activity.atom",
}
local threads = {}
local n = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  counts = {}
end

function request()
  n = n + 1
  -- One request in ten is a signed-in write (autosave of a survey answer).
  if n % 10 == 0 and cookie ~= "" then
    local body = "csrf_token=" .. csrf .. "&situation=" .. n
    return wrk.format("POST", "/forms/" .. form .. "/draft?company=" .. company, {
      ["Cookie"] = cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
    }, body)
  end
  return wrk.format("GET", reads[(n % #reads) + 1])
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    for status, count in pairs(c) do
      total[status] = (total[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(total) do
    table.insert(parts, status .. "=" .. count)
  end
  table.sort(parts)
  io.write(string.format(
    "RESULT rps=%.1f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f requests=%d socket_errors=%d statuses=%s\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.requests,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ",")))
end
