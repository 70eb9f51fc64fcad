-- POST {"username","password"} from "username<TAB>password" lines, in rotation, each request
-- from its own client address in X-Forwarded-For, so per-address throttling does not dominate.
-- The addresses come from 198.18.0.0/15, the block reserved for benchmarking (RFC 2544,
-- RFC 5735): they name no real client. Usage: wrk -s login-rotate.lua URL -- logins.txt
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "rotate.lua")

local MAX_THREADS = 16 -- address index = counter * MAX_THREADS + thread_index keeps threads apart
local ADDRESSES = 131072 -- the size of 198.18.0.0/15

local credentials = {}
local index = 0
local counter = 0

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

local function address(n)
  n = n % ADDRESSES
  return string.format("198.%d.%d.%d", 18 + math.floor(n / 65536), math.floor(n / 256) % 256, n % 256)
end

function init(args)
  for i, line in ipairs(read_lines(args[1])) do
    local username, password = line:match("^([^\t]+)\t(.*)$")
    assert(username, "expected username<TAB>password on line " .. i)
    credentials[i] = '{"username":' .. json_string(username) .. ',"password":' .. json_string(password) .. '}'
  end
  assert((thread_index or 0) < MAX_THREADS, "login-rotate.lua supports up to 16 threads")
  index = (thread_index or 0) * 7919 % #credentials
end

function request()
  index = index % #credentials + 1
  counter = counter + 1
  local headers = headers_with("X-Forwarded-For", address(counter * MAX_THREADS + (thread_index or 0)))
  headers["Content-Type"] = "application/json"
  return wrk.format("POST", nil, headers, credentials[index])
end
