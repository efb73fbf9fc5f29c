-- wrk script for scripts/bench partner_check: POST /api/v1/checks with the
-- demo server key, 80 % valid and 20 % no_match requests (the three no_match
-- kinds — unknown number, wrong name part, failing Luhn digit — in turn), drawn
-- from the sample file passwerk_seed_cards writes.
--
--   wrk -t1 -c64 -d10s --latency -s bench/check_mix.lua URL -- SAMPLES [KEY]
--
-- Requests are formatted once in init(); request() only picks one. Every
-- fifth request is a no_match one, so the mix is exactly 80/20. Against nginx
-- (the baseline) the same requests go to its fixed reply.

local key = "pwps_demo0001_servrkeyfordemoonlyservrkeyfordemo"
local valid = {}
local nomatch = {}
local counter = 0
local nv, nn = 0, 0
local vi, ni = 0, 0

local function build(number, name)
  local body = '{"card_number":"' .. number .. '","name":"' .. name .. '"}'
  return wrk.format("POST", "/api/v1/checks", {
    ["Authorization"] = "Bearer " .. key,
    ["Content-Type"] = "application/json",
  }, body)
end

function init(args)
  local path = args[1]
  if args[2] then key = args[2] end
  if not path then error("check_mix.lua: pass the sample file: wrk ... -- SAMPLES [KEY]") end
  local f = assert(io.open(path, "r"))
  local by_kind = { unknown = {}, wrong_name = {}, luhn = {} }
  for line in f:lines() do
    local kind, number, name = line:match("^([%w_]+)\t([^\t]+)\t([^\t]*)$")
    if kind == "valid" then
      valid[#valid + 1] = build(number, name)
    elseif kind and by_kind[kind] then
      local t = by_kind[kind]
      t[#t + 1] = build(number, name)
    end
  end
  f:close()
  -- Interleave the three no_match kinds: unknown, wrong_name, luhn, unknown, …
  local i = 1
  while by_kind.unknown[i] or by_kind.wrong_name[i] or by_kind.luhn[i] do
    for _, kind in ipairs({ "unknown", "wrong_name", "luhn" }) do
      if by_kind[kind][i] then nomatch[#nomatch + 1] = by_kind[kind][i] end
    end
    i = i + 1
  end
  nv, nn = #valid, #nomatch
  if nv == 0 or nn == 0 then error("check_mix.lua: no valid or no no_match samples in " .. path) end
  -- Each wrk thread starts at its own place in the lists.
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
  vi, ni = math.random(nv) - 1, math.random(nn) - 1
end

function request()
  counter = counter + 1
  if counter % 5 == 0 then
    ni = (ni + 1) % nn
    return nomatch[ni + 1]
  end
  vi = (vi + 1) % nv
  return valid[vi + 1]
end
