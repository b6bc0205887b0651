// Functions: defaults, named arguments, closures, recursion, tailstrict, higher order.
local add(a, b=10) = a + b;
local compose(f, g) = function(x) f(g(x));
local fact(n) = if n <= 1 then 1 else n * fact(n - 1);
local sum(n, acc=0) = if n == 0 then acc else sum(n - 1, acc + n) tailstrict;
local fib(n) = if n < 2 then n else fib(n - 1) + fib(n - 2);
local defaults(a, b=a * 2, c=b + 1) = [a, b, c];
{
  add1: add(1),
  add2: add(1, 2),
  named: add(b=5, a=1),
  composed: compose(function(x) x + 1, function(x) x * 2)(5),
  fact: fact(20),
  sum: sum(10000),
  fib: fib(15),
  defaults: defaults(1),
  defaults2: defaults(1, c=0),
  closure: local k = 3; [function(x) x * k][0](4),
  fn_length: std.length(function(a, b) a),
  recursive_local: local a = [1, b], b = 2; a,
  mutual: local even(n) = if n == 0 then true else odd(n - 1), odd(n) = if n == 0 then false else even(n - 1); [even(10), odd(7)],
}
