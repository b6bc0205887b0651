std.parseJson('{')
