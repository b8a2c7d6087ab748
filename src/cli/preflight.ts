import net from "node:net";
import type { ArmConnection } from "../azure/index.ts";
import { closest, messageOf } from "../core/index.ts";
import { loadQueries } from "../queries/index.ts";
import { CliStop } from "./io.ts";

/** An unknown rule name stops the run before any request, as the HTTP trigger answers 400 for it. */
export async function checkRules(dir: string, names: readonly string[] | undefined): Promise<void> {
  if (names === undefined) return;
  const known = (await loadQueries({ dir })).queries.map((q) => q.name);
  for (const name of names) {
    if (known.includes(name)) continue;
    const near = closest(name, known);
    throw new CliStop(`there is no rule named "${name}" in ${dir}.${near === undefined ? "" : ` Did you mean "${near}"?`} Rules: ${known.join(", ") || "none"}`);
  }
}

/** The token first: without one nothing can be read, and one short line says how to get one. */
export async function fetchToken(arm: ArmConnection): Promise<void> {
  try {
    if ((await arm.credential.getToken(arm.tokenScope)) !== null) return;
  } catch (error) {
    const name = error instanceof Error ? error.name : "";
    if (name === "AggregateAuthenticationError" || name === "CredentialUnavailableError") {
      throw new CliStop("not signed in: run `az login`, or set the managed identity settings (IDENTITY_ENDPOINT and IDENTITY_HEADER, AZURE_CLIENT_ID for a user-assigned identity)");
    }
    throw new CliStop(`could not get a token for ${arm.tokenScope}: ${messageOf(error).split("\n")[0]?.slice(0, 200) ?? ""}`);
  }
  throw new CliStop(`could not get a token for ${arm.tokenScope}: the credential returned none; run \`az login\``);
}

const CONNECT_TIMEOUT_MS = 5_000;

/** A TCP connection to the ARM endpoint within a few seconds, so a wrong endpoint is named at once, not after retries. */
export async function reachEndpoint(endpoint: string): Promise<void> {
  const url = new URL(endpoint);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const port = Number(url.port === "" ? 443 : url.port);
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect({ host, port });
    const fail = (why: string) => {
      socket.destroy();
      reject(new CliStop(`cannot reach AZURE_RESOURCE_MANAGER_ENDPOINT=${endpoint} (${host}:${port}): ${why}`));
    };
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => fail(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`));
    socket.once("error", (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
    socket.once("connect", () => {
      socket.destroy();
      resolve();
    });
  });
}
