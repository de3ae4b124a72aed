dofile(os.getenv("COMPARE_DIR") .. "/common.lua")
request = function() return wrk.format("GET", "/discover/" .. some_service()) end
