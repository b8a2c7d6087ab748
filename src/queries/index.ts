// The rules as the sweep and the function app use them; the offline check (check.ts, with the 31 MB Kusto parser)
// is imported on its own by the command line, so it never reaches the function bundle.
export { listQueryNames, loadQueries } from "./load.ts";
export { lineColumn, prepareQuery, textToSend } from "./prepare.ts";
