#!/usr/bin/env node
// Runs the TypeScript sources directly (Node 22 strips types); `npm ci` puts Node 22 first on PATH.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`retry-failed-backups needs Node 22.18 or newer (this is ${process.version}). Run it through npm (npx retry-failed-backups ..., npm start) so the Node 22 that npm ci installed is used.\n`);
  process.exit(2);
}
const { main } = await import("../src/cli.ts");
process.exitCode = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  isTTY: process.stderr.isTTY === true,
});
