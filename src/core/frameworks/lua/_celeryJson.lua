-- Fragment: a JSON scanner (strings with escapes, nesting) to find an object's member by key:
-- local functions ws, str_end, val_end, member, set_true.

local function ws(s, i) return string.find(s, '[^ \t\r\n]', i) end
local function str_end(s, i)
  local j = i + 1
  while true do
    local c = string.find(s, '["\\]', j)
    if not c then return nil end
    if string.byte(s, c) == 92 then j = c + 2 else return c end
  end
end
local function val_end(s, i)
  local b = string.byte(s, i)
  if b == 34 then return str_end(s, i) end
  if b == 123 or b == 91 then
    local depth, j = 0, i
    while true do
      local c = string.find(s, '[%[%]{}"]', j)
      if not c then return nil end
      local cb = string.byte(s, c)
      if cb == 34 then
        c = str_end(s, c)
        if not c then return nil end
      elseif cb == 123 or cb == 91 then depth = depth + 1
      else
        depth = depth - 1
        if depth == 0 then return c end
      end
      j = c + 1
    end
  end
  local e = string.find(s, '[,}%] \t\r\n]', i)
  if not e then return #s end
  return e - 1
end
-- The member key of the object starting at i: value start, value end; or nil, nil, closing brace.
local function member(s, i, key)
  local j = ws(s, i + 1)
  if string.byte(s, j) == 125 then return nil, nil, j end
  while true do
    local ke = str_end(s, j)
    local k = cjson.decode(string.sub(s, j, ke))
    local vs = ws(s, ws(s, ke + 1) + 1)
    local ve = val_end(s, vs)
    if k == key then return vs, ve end
    local n = ws(s, ve + 1)
    if string.byte(s, n) == 125 then return nil, nil, n end
    j = ws(s, n + 1)
  end
end
-- Sets key to true in the object starting at i, as Python's json.dumps writes a new last member.
local function set_true(s, i, key)
  local vs, ve, close = member(s, i, key)
  if vs then return string.sub(s, 1, vs - 1) .. 'true' .. string.sub(s, ve + 1) end
  local sep = ', '
  if ws(s, i + 1) == close then sep = '' end
  return string.sub(s, 1, close - 1) .. sep .. '"' .. key .. '": true' .. string.sub(s, close)
end
