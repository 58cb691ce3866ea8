-- wrk script for bench/intake.py: POST canonical orders, each with its own order number
-- and Idempotency-Key, so every request is a real new order (a real insert).
--
-- wrk -s bench/intake.lua URL -- PREFIX API_KEY BODY_HEAD BODY_TAIL
--   the body is BODY_HEAD .. number .. BODY_TAIL, number = PREFIX-<thread>-<counter>
-- Prints one line "WRK-RESULT {json}" at the end: requests, duration, p50/p99 (microseconds),
-- socket errors and a count per HTTP status.

local threads = {}

function setup(thread)
   thread:set("thread_number", #threads + 1)
   table.insert(threads, thread)
end

local counter = 0
-- A global, not a local: done() reads it from each thread with thread:get().
statuses = {}
local prefix, authorization, body_head, body_tail

function init(args)
   prefix = args[1] .. "-" .. thread_number
   authorization = "Bearer " .. args[2]
   body_head = args[3]
   body_tail = args[4]
end

function request()
   counter = counter + 1
   local number = prefix .. "-" .. counter
   local headers = {
      ["Authorization"] = authorization,
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = number,
   }
   return wrk.format("POST", nil, headers, body_head .. number .. body_tail)
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local counts = {}
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("statuses")) do
         counts[status] = (counts[status] or 0) + count
      end
   end
   local parts = {}
   for status, count in pairs(counts) do
      table.insert(parts, string.format('"%d": %d', status, count))
   end
   local errors = summary.errors
   io.write(string.format(
      'WRK-RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
         .. '"socket_errors": %d, "statuses": {%s}}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      errors.connect + errors.read + errors.write + errors.timeout,
      table.concat(parts, ", ")
   ))
end
