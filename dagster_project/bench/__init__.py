"""The scale benchmark of `bank360 bench`: what a build costs, and what each layer adds to it."""
