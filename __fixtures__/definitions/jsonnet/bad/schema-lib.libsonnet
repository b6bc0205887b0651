{
  app(image):: {
    image: image,
    memroy: 512,
  },
}
