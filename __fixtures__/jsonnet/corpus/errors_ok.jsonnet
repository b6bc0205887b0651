// Asserts and errors that are never triggered; laziness keeps them dormant.
local checked = {
  port: 80,
  assert self.port > 0 && self.port < 65536 : 'port out of range',
};
local f(x) =
  assert std.isNumber(x) : 'x must be a number';
  x + 1;
{
  checked: checked,
  f: f(1),
  dormant_field:: error 'not evaluated',
  dormant_array: std.length([error 'no', error 'no']),
  cond: if false then error 'never' else 'fine',
}
