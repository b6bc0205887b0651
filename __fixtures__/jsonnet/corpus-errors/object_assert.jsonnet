{ a: 1, assert self.a > 1 : 'a too small' }
