"""The stock layer: N stocks on the market's path, a concentrated sparse margin book, name-level funds and events."""
