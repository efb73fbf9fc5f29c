-- GET with the citizen session cookie given after `--` (scripts/bench portal):
-- the same request goes to nginx, which ignores the cookie.
local cookie

function init(args)
  cookie = args[1]
end

function request()
  return wrk.format("GET", nil, { ["Cookie"] = cookie })
end
