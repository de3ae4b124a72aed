dofile(os.getenv("COMPARE_DIR") .. "/common.lua")
request = function()
  return wrk.format("PUT", "/config/" .. some_service(), {["Content-Type"] = "application/json"},
                    '{"config_data":{"revision":"' .. fresh("v") .. '"}}')
end
