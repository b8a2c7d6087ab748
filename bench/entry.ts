// What a bench child needs from the product, bundled by bench/sweep.ts with the function app's esbuild options
// (scripts/build.ts), so the bench measures the code that ships as well as the sources.
export { connectArm, createCredential } from "../src/azure/index.ts";
export { createLogger } from "../src/log.ts";
export { loadSettings } from "../src/settings.ts";
export { sweep } from "../src/sweep.ts";
