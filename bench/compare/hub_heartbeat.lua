dofile(os.getenv("COMPARE_DIR") .. "/common.lua")
request = function()
  return wrk.format("POST", "/heartbeat", {["Content-Type"] = "application/json"},
                    '{"service_name":"' .. some_service() .. '","metrics":{"cpu":0.5}}')
end
