// The espolicy extension: rule files (*.esp) are highlighted by the TextMate grammar, and
// `espolicy lsp` (started over stdio) gives diagnostics, hover, completion, navigation,
// formatting and quick fixes.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("espolicy");
  const command = config.get("server.command", "espolicy");
  const args = config.get("server.args", ["lsp"]);
  // TransportKind.stdio adds `--stdio`, which `espolicy lsp` accepts.
  const server = { command, args, transport: TransportKind.stdio };
  const options = {
    documentSelector: [
      { scheme: "file", language: "espolicy" },
      { scheme: "untitled", language: "espolicy" },
    ],
  };
  client = new LanguageClient("espolicy", "espolicy", server, options);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
