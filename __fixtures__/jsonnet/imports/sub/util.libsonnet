{
  greet(who):: "hello " + who,
  file: std.thisFile,
  sibling: (import "sibling.libsonnet").name,
}
