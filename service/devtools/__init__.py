"""Developer and test tools; production code never imports this package."""
