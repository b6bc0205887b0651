// super, self and +: across several layers of inheritance.
local a = { x: 1, list: [1], obj: { p: 1 }, f():: self.x, name: 'a', describe: 'I am ' + self.name };
local b = a + { x: super.x + 10, list+: [2], obj+: { q: super.p }, name: 'b', parent_describe: super.describe };
local c = b { x: super.x * 2, obj+: { r: 3 }, g: super.f(), has_x: 'x' in super, has_g: 'g' in super };
local d = c + { x: 0, list: super.list + [3], f():: 100 };
{
  a: a,
  b: b,
  c: c,
  d: d,
  self_late: d.g,
  f_value: [a.f(), b.f(), c.f(), d.f()],
  mixin: local m = { tag+: ['mixed'] }; [{ tag: ['base'] } + m, {} + m],
  hidden_chain: { h:: 1 } + { h+: 1 } + { h+: 1 },
  visible_chain: { v:: 1 } + { v::: 2 } + { v: 3 },
  nested_super: { o: { p: 1 } } + { o+: { p: super.p + 1 } } + { o+: { p: super.p * 10 } },
}
