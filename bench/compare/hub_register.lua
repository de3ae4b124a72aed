dofile(os.getenv("COMPARE_DIR") .. "/common.lua")
request = function()
  return wrk.format("POST", "/register", {["Content-Type"] = "application/json"},
                    '{"service_name":"fresh","instance_id":"' .. fresh("i") .. '","host":"10.1.0.1","port":8000}')
end
