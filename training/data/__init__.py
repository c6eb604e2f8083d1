"""Training inputs: cached backbone features, their splits, augmented views, partners."""
