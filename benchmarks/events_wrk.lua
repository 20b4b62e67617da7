-- wrk script of events_api.py: POST /api/v1/events with bodies like events_api.make_event, a third
-- new people and the rest returning ones, and a count of every status in done().
-- Arguments (after --): authorization header, people base number, then the inquiry types.

local threads = {}
local thread_number = 0

function setup(thread)
  thread_number = thread_number + 1
  thread:set("number", thread_number)
  table.insert(threads, thread)
end

local zips = {"33602", "33603", "33604", "33606", "33609", "33611", "33612", "33614", "33618", "33629"}
local sources = {"smithandassociates.com", "Realtor.com", "agent site"}
local bathrooms = {"1", "1.5", "2", "2.5", "3"}
local searches = {["Property Search"] = true, ["Saved Property Search"] = true}

function init(args)
  authorization = args[1]
  base = tonumber(args[2]) + number * 10000000
  types = {}
  for i = 3, #args do types[#types + 1] = args[i] end
  people = 0
  statuses = {}
  math.randomseed(base)
end

local function pick(list) return list[math.random(#list)] end

local function body()
  local person
  if people == 0 or math.random() < 1 / 3 then
    people = people + 1
    person = base + people
  else
    person = base + math.random(people)
  end
  local inquiry, zip = pick(types), pick(zips)
  local search = ""
  if searches[inquiry] then
    search = string.format(', "propertySearch": {"city": "Tampa", "code": ["%s"], "minPrice": 300000, '
                           .. '"maxPrice": 500000}', zip)
  end
  return string.format(
    '{"source": "%s", "system": "benchmark", "type": "%s", '
    .. '"message": "Is this still available? I would like to see it this weekend.", '
    .. '"person": {"firstName": "Bench", "lastName": "Person%d", '
    .. '"emails": [{"value": "bench.person%d@example.com"}], '
    .. '"phones": [{"value": "555-%03d-%04d"}]}, '
    .. '"property": {"street": "%d Oak St", "city": "Tampa", "state": "FL", "code": "%s", '
    .. '"mlsNumber": "T%d", "price": %d, "bedrooms": %d, "bathrooms": %s, "area": 1800}%s}',
    pick(sources), inquiry, person, person, math.floor(person / 10000) % 1000, person % 10000,
    math.random(1, 9999), zip, math.random(100000, 999999), math.random(30, 300) * 5000,
    math.random(1, 6), pick(bathrooms), search)
end

function request()
  return wrk.format("POST", "/api/v1/events",
                    {["Content-Type"] = "application/json", ["Authorization"] = authorization}, body())
end

function response(status, headers, response_body)
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
  for status, count in pairs(counts) do parts[#parts + 1] = string.format('"%d": %d', status, count) end
  io.write(string.format('RESULT {"requests": %d, "seconds": %.3f, "socket_errors": %d, '
                         .. '"p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "mean_ms": %.2f, '
                         .. '"statuses": {%s}}\n',
                         summary.requests, summary.duration / 1e6,
                         summary.errors.connect + summary.errors.read + summary.errors.write
                         + summary.errors.timeout,
                         latency:percentile(50) / 1000, latency:percentile(95) / 1000,
                         latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
                         table.concat(parts, ", ")))
end
