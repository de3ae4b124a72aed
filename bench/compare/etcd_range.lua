dofile(os.getenv("COMPARE_DIR") .. "/common.lua")
request = function()
  return wrk.format("POST", "/v3/kv/range", {["Content-Type"] = "application/json"}, '{"key":"' .. base64(some_service()) .. '"}')
end
