-- GET with `Authorization: Bearer <token>`, one token a line, in rotation.
-- Usage: wrk -s bearer-rotate.lua URL -- tokens.txt
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "rotate.lua")

rotate_header("Authorization", function(token) return "Bearer " .. token end)
