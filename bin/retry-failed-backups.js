#!/usr/bin/env node
// Runs the TypeScript sources directly (Node 22 strips types); `npm ci` puts Node 22 first on PATH.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`retry-failed-backups needs Node 22.18 or newer (this is ${process.version}). Run it through npm (npx retry-failed-backups ..., npm start) so the Node 22 that npm ci installed is used.\n`);
  process.exit(2);
}
const { main, processIo } = await import("../src/cli/index.ts");
const io = processIo();
const [command, ...rest] = process.argv.slice(2);
// The demo joins the product and its test emulator, so it lives outside src/.
if (command === "demo") {
  const demo = await import("../demo/index.ts").catch((error) => {
    if (error?.code !== "ERR_MODULE_NOT_FOUND") throw error;
    // The emulator's packages (selfsigned) are development dependencies: a production install has no demo.
    process.stderr.write(`The demo needs the development dependencies (${error.message.split("\n")[0]}). Run npm ci in a clone of the repository, without --omit=dev, then npm start.\n`);
    return undefined;
  });
  process.exitCode = demo === undefined ? 2 : await demo.runDemo(rest, io);
} else {
  process.exitCode = await main(process.argv.slice(2), io);
}
