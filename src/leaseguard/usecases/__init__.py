"""Jobs as users name them, one home each: the CLI, the API and the console parse, call one of these and render
what it returns, so the same job gives the same answer whichever way it is asked (docs/architecture.md)."""
