/** Entry point of the bundle: main step, or the post step when the main step marked it so. */
export {}
