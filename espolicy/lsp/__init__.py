"""The language server for rule files (`espolicy lsp`): state, features, and the pygls server."""
