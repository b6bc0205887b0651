// Objects: self, super, $, +:, visibility, locals, asserts, computed names.
local dollarObj = { a: { b: $.c }, c: 1 } + { c: 2 };
local base = {
  name: 'base',
  greeting: 'hello ' + self.name,
  hidden:: 'secret',
  forced::: 'shown',
  nested: { a: 1, b: { c: 2 } },
  list: [1, 2],
  assert self.name != '' : 'name must be set',
};
local child = base {
  name: 'child',
  nested+: { b+: { d: 3 }, e: 4 },
  list+: [3],
  parent_greeting: super.greeting,
  hidden_seen: self.hidden,
  forced:: 'now hidden',
  hidden::: 'now visible',
  has_super_name: 'name' in super,
  has_missing: 'missing' in super,
};
{
  base: base,
  child: child,
  outer: {
    x: 1,
    inner: { y: $.outer.x + 1, z: self.y * 10 },
  },
  computed: { ['k' + i]: i for i in [1, 2, 3] },
  nullname: { [null]: 1, a: 2 },
  withlocal: { local two = 2, a: two, b: self.a * two },
  method: { f(x, y=2):: x * y, r: self.f(3), s: self.f(3, y=4) },
  keys: std.objectFields(child),
  all_keys: std.objectFieldsAll(child),
  plus_on_missing: {} + { a+: 1, b+: [1], c+: { d: 1 } },
  late_bound: ({ a: self.b, b: 1 } + { b: 2 }).a,
  dollar_in_base: dollarObj.a.b,
  str_keys: { 'a b': 1, "c\"d": 2, @'e''f': 3 },
  equal: { a: 1, h:: 2 } == { a: 1 },
}
