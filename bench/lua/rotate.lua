-- Shared by the rotating scripts: reads the file named after wrk's `--` (one entry a line)
-- and gives each thread its own Lua state, counter and starting point in the list.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "report.lua")

local started = 0
function setup(thread)
  thread:set("thread_index", started)
  started = started + 1
end

function read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if line ~= "" then lines[#lines + 1] = line end
  end
  assert(#lines > 0, "no entries in " .. tostring(path))
  return lines
end

-- The headers given with -H, plus one more, as a fresh table for wrk.format.
function headers_with(name, value)
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  headers[name] = value
  return headers
end

-- Builds every request once, in init, so that request() costs one table read:
-- the load generator must stay cheap next to the server it measures.
function rotate_header(name, format_value)
  local prebuilt = {}
  local index = 0

  function init(args)
    for i, line in ipairs(read_lines(args[1])) do
      prebuilt[i] = wrk.format(nil, nil, headers_with(name, format_value(line)))
    end
    -- Threads start at different points of the list (thread_index is set by setup()).
    index = (thread_index or 0) * 7919 % #prebuilt
  end

  function request()
    index = index % #prebuilt + 1
    return prebuilt[index]
  end
end
