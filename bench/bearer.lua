-- GET with `Authorization: Bearer TOKEN`, the token given after `--`
-- (scripts/bench applications: a staff API token). The same request goes to
-- nginx, which ignores the header.
--
--   wrk -t1 -c16 -d10s --latency -s bench/bearer.lua URL -- TOKEN
local req

function init(args)
  if not args[1] then error("bearer.lua: pass the token: wrk ... -- TOKEN") end
  req = wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. args[1] })
end

function request()
  return req
end
