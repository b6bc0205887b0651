{
  container(memory):: {
    image: 'busybox',
    memory: memory,
    cpu: self.memory / 'two',
  },
}
