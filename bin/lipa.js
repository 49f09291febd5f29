#!/usr/bin/env node
'use strict';
// Runs the compiled CLI when there are no sources (a built image); otherwise the TypeScript sources through
// ts-node (transpile only, decorator metadata kept), so `npm ci && npm start` needs no build step.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const src = path.join(root, 'src', 'main.ts');
let entry;
if (fs.existsSync(src) && process.env.LIPA_USE_DIST !== 'true') {
  require('ts-node').register({ transpileOnly: true, project: path.join(root, 'tsconfig.json') });
  entry = src;
} else {
  entry = path.join(root, 'dist', 'main.js');
}
const { main } = require(entry);
main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((e) => {
    const name = e && e.name;
    if (name === 'ConfigError' || name === 'AppError') process.stderr.write(`lipa: ${e.message}\n`);
    else process.stderr.write(`lipa: ${(e && e.stack) || String(e)}\n`);
    process.exit(1);
  });
