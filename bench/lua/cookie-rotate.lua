-- GET with a Cookie header taken whole from each line (e.g. "tessera_session=..."), in rotation.
-- Usage: wrk -s cookie-rotate.lua URL -- cookies.txt
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "rotate.lua")

rotate_header("Cookie", function(cookie) return cookie end)
