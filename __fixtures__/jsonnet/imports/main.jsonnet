local util = import "sub/util.libsonnet";
{ greeting: util.greet("main"), text: importstr "sub/note.txt", bytes: importbin "sub/note.txt", file: std.thisFile, nested: util }
