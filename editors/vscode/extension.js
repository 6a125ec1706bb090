// archdsl for VS Code: the grammar (syntaxes/, generated from the language's own
// grammar) highlights .arch files; this starts `archdsl lsp` over stdio for
// diagnostics, hovers, definitions, completion and formatting.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  const settings = vscode.workspace.getConfiguration("archdsl.server");
  return {
    command: settings.get("command", "archdsl"),
    args: settings.get("args", ["lsp"]),
    transport: TransportKind.stdio,
  };
}

function activate(context) {
  client = new LanguageClient(
    "archdsl",
    "archdsl language server",
    serverOptions(),
    { documentSelector: [{ scheme: "file", language: "arch" }] },
  );
  context.subscriptions.push(client);
  return client.start().catch((error) => {
    vscode.window.showErrorMessage(
      `archdsl: could not start \`archdsl lsp\` (${error.message}). ` +
        "Install it with pip install 'archdsl[lsp]', or set archdsl.server.command.",
    );
  });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate, serverOptions };
