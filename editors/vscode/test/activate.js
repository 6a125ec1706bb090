// Activate the extension against stand-ins for the `vscode` module and the
// language client, and print what it would start: tests/test_vscode.py checks that
// it is `archdsl lsp` over stdio, for .arch documents.
"use strict";

const Module = require("module");

const started = {};
const stubs = {
  vscode: {
    workspace: { getConfiguration: () => ({ get: (_key, fallback) => fallback }) },
    window: { showErrorMessage: (message) => { started.error = message; } },
  },
  "vscode-languageclient/node": {
    TransportKind: { stdio: 0, ipc: 1, pipe: 2, socket: 3 },
    LanguageClient: class {
      constructor(id, name, server, client) {
        Object.assign(started, { id, name, server, client });
      }
      start() { started.running = true; return Promise.resolve(); }
      stop() { return Promise.resolve(); }
      dispose() {}
    },
  },
};
const load = Module._load;
Module._load = function (request, ...rest) {
  return request in stubs ? stubs[request] : load.call(this, request, ...rest);
};

const extension = require("../extension.js");
const context = { subscriptions: [] };
Promise.resolve(extension.activate(context)).then(() => {
  started.subscriptions = context.subscriptions.length;
  process.stdout.write(JSON.stringify(started));
});
