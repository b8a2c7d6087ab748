import { app } from "@azure/functions";
import { doctorHandler } from "./doctor.ts";
import { httpHandler } from "./http.ts";
import { runHandler, runsHandler } from "./runs.ts";
import { timerHandler } from "./timer.ts";

// The deployment entry point (package.json "main", bundled to dist/index.js). Keep it free of src/cli/ and the
// Kusto checker: scripts/build.ts fails the build if either reaches the bundle.

app.timer("retryFailedBackups", {
  // RETRY_SCHEDULE must exist as an app setting: the host resolves %...% when it indexes the function.
  schedule: "%RETRY_SCHEDULE%",
  runOnStartup: false,
  handler: (timer, context) => timerHandler(timer, context),
});

app.http("sweep", {
  methods: ["POST"],
  authLevel: "function",
  route: "sweep",
  handler: (request, context) => httpHandler(request, context),
});

// The preflight (README "Deploy"): read-only, so GET; a function key like the sweep.
app.http("doctor", {
  methods: ["GET"],
  authLevel: "function",
  route: "doctor",
  handler: (request, context) => doctorHandler(request, context),
});

app.http("run", { methods: ["GET"], authLevel: "function", route: "runs/{runId}", handler: (request, context) => runHandler(request, context) });

app.http("runs", { methods: ["GET"], authLevel: "function", route: "runs", handler: (request, context) => runsHandler(request, context) });
