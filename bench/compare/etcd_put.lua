dofile(os.getenv("COMPARE_DIR") .. "/common.lua")
request = function()
  return wrk.format("POST", "/v3/kv/put", {["Content-Type"] = "application/json"},
                    '{"key":"' .. base64(fresh("k")) .. '","value":"' .. base64("{\"host\":\"10.1.0.1\",\"port\":8000}") .. '"}')
end
