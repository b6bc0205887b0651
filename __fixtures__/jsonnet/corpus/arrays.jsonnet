// Arrays, comprehensions, slices, indexing.
local xs = [1, 2, 3, 4, 5, 6];
{
  comp: [x * x for x in xs if x % 2 == 0],
  nested: [[x, y] for x in [1, 2] for y in ['a', 'b'] if x != 2 || y != 'a'],
  slice1: xs[1:3],
  slice2: xs[::2],
  slice3: xs[1::2],
  slice6: 'hello world'[2:8:2],
  index: xs[2],
  str_index: 'abc'[1],
  concat: xs + [7],
  lazy: std.length([error 'never', 1]),
  objcomp: { [std.toString(x)]: x * 2 for x in xs if x > 3 },
  objcomp_local: { local d = x + '!', [x]: d for x in ['a', 'b'] },
  cmp: [[1, 2] < [1, 3], [1] < [1, 0], 'a' < 'b', 'abc' < 'abd', 2 < 10],
  equal: [[1, [2]] == [1, [2]], [1] == [2], [] == []],
  mixed: [null, true, false, 1.5, -3, 'x', {}, []],
}
