dofile(os.getenv("COMPARE_DIR") .. "/common.lua")
request = function() return wrk.format("GET", "/lb/" .. some_service()) end
