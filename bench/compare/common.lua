-- Shared by the compare.sh cases: base64 for etcd's JSON gateway, and a key no other
-- request of the run has used (a thread's id, then its own counter).
local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

function base64(text)
  return ((text:gsub(".", function(c)
    local bits, byte = "", c:byte()
    for i = 8, 1, -1 do bits = bits .. (byte % 2 ^ i - byte % 2 ^ (i - 1) > 0 and "1" or "0") end
    return bits
  end) .. "0000"):gsub("%d%d%d?%d?%d?%d?", function(bits)
    if #bits < 6 then return "" end
    local value = 0
    for i = 1, 6 do value = value + (bits:sub(i, i) == "1" and 2 ^ (6 - i) or 0) end
    return alphabet:sub(value + 1, value + 1)
  end) .. ({ "", "==", "=" })[#text % 3 + 1])
end

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

counter = 0
function fresh(prefix)
  counter = counter + 1
  return prefix .. "-" .. (thread_id or 0) .. "-" .. counter
end

services = tonumber(os.getenv("SERVICES") or "100")
function some_service()
  return "svc-" .. math.random(0, services - 1)
end
