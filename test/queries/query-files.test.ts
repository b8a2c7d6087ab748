// Query files an admin (or an accident) can leave in the queries folder. Each bad one is the query's error with a code
// and a message naming the file; the good ones still run and act; nothing of a bad file is sent to Resource Graph.
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_QUERY_BYTES } from "../../src/queries/load.ts";
import { exitCodeOf } from "../../src/report/index.ts";
import { items, failedJob, SUBS, useHarness } from "../support/harness.ts";
import { acceptedTriggers, expectAccounted } from "../support/wire.ts";

const h = useHarness();
let outside: string;
beforeAll(async () => {
  outside = await mkdtemp(path.join(os.tmpdir(), "rfb-outside-"));
});
afterAll(async () => {
  await rm(outside, { recursive: true, force: true });
});

const file = (name: string) => path.join(h.queriesDir, name);
const argQueries = () => h.emulator.requests.filter((r) => r.kind === "arg").map((r) => (r.body as { query: string }).query);

describe("bad query files", () => {
  it("empty, comment-only, binary, not UTF-8, huge, linked outside the folder, or a dangling link: each a clear error; the good file still runs", async () => {
    const good = items.vm(SUBS.a, "from-good-file");
    const marker = await h.failedJobs("good", [failedJob(SUBS.a, good)]);
    await writeFile(file("empty.kql"), "");
    await writeFile(file("comments.kql"), "// let lookback = 3d;\n//   \n");
    await writeFile(file("binary.kql"), Buffer.from([0x52, 0x65, 0x00, 0x01, 0x02, 0xff, 0x00]));
    await writeFile(file("latin1.kql"), Buffer.from("Resources | where name == 'caf\xe9'", "latin1"));
    await writeFile(file("huge.kql"), `Resources\n${"| where name != 'x'\n".repeat(Math.ceil((MAX_QUERY_BYTES + 1) / 20))}`);
    const secret = path.join(outside, "secret.kql");
    await writeFile(secret, "Resources | project id, subscriptionId, itemId = id // from outside\n");
    await symlink(secret, file("linked-outside.kql"));
    await symlink(path.join(outside, "missing.kql"), file("dangling.kql"));
    const { report, logs } = await h.run();

    const errors = Object.fromEntries(report.queries.filter((q) => q.error).map((q) => [q.name, q.error!]));
    expect(errors).toMatchObject({
      empty: { code: "QueryFileEmpty" },
      comments: { code: "QueryFileEmpty" },
      binary: { code: "QueryFileNotText" },
      latin1: { code: "QueryFileNotText" },
      huge: { code: "QueryFileTooLarge" },
      "linked-outside": { code: "QueryFileOutsideFolder" },
      dangling: { code: "QueryFileUnreadable" },
    });
    for (const [name, error] of Object.entries(errors)) {
      expect(error.message, name).toContain(`${name}.kql`);
      expect(error.message, name).not.toMatch(/\n\s+at /);
    }
    expect(errors["linked-outside"]!.message).toMatch(/outside the queries folder; copy the file into/);
    expect(errors.huge!.message).toMatch(new RegExp(`at most ${MAX_QUERY_BYTES} bytes`));
    expect(report.queries.find((q) => q.name === "good")).toEqual({ name: "good", rows: 1, pages: 1 });
    // Only the good file's text went to Resource Graph.
    expect(argQueries()).toHaveLength(1);
    expect(argQueries()[0]).toContain(marker);
    expect([...acceptedTriggers(h.emulator).keys()]).toEqual([good.toLowerCase()]);
    expect(logs.filter((l) => l.includes('"event":"query.failed"'))).toHaveLength(7);
    expect(exitCodeOf(report)).toBe(1);
    expectAccounted(report);
  });

  it("a link to a file inside the folder is followed, a folder named like a query is skipped, and a query asked for by name that is not there is named", async () => {
    const target = items.vm(SUBS.a, "via-link");
    await h.failedJobs("real", [failedJob(SUBS.a, target)]);
    await symlink(file("real.kql"), file("alias.kql"));
    await mkdir(file("folder.kql"));
    const { report } = await h.run({ rules: ["alias", "missing-rule"] });

    expect(report.queries.find((q) => q.name === "alias")).toEqual({ name: "alias", rows: 1, pages: 1 });
    expect(report.queries.find((q) => q.name === "missing-rule")?.error).toMatchObject({ code: "UnknownQuery" });
    expect(report.queries.find((q) => q.name === "missing-rule")?.error?.message).toMatch(/Known queries: alias, real/);
    expect([...acceptedTriggers(h.emulator).keys()]).toEqual([target.toLowerCase()]);
  });

  it("a queries folder holding no .kql file is one clear error and nothing is sent", async () => {
    const { report } = await h.run();
    expect(report.queries).toEqual([{ name: path.basename(h.queriesDir), rows: 0, pages: 0, error: expect.objectContaining({ code: "NoQueryFiles" }) }]);
    expect(h.emulator.requests.filter((r) => r.kind !== "msi")).toEqual([]);
    expect(exitCodeOf(report)).toBe(1);
  });
});
