"""Pure state engine: observations in, states and flips out. No I/O; time is passed in."""
