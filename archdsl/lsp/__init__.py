"""The language server (`archdsl lsp`): needs the `lsp` extra (pygls)."""
