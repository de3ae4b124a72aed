dofile(os.getenv("COMPARE_DIR") .. "/common.lua")
local body = '{"ID":"' .. os.getenv("LEASE") .. '"}'
request = function() return wrk.format("POST", "/v3/lease/keepalive", {["Content-Type"] = "application/json"}, body) end
