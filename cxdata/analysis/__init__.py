"""Pure analysis: intervals, tests of differences, the horizon model."""
