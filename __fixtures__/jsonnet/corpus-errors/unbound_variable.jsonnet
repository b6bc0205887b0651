{ a: if true then 1 else nope }
