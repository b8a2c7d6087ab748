// Loaded before every test file: any socket to a non-loopback address fails the test at once.
// A managed-identity credential built without IDENTITY_ENDPOINT would reach IMDS (169.254.169.254);
// this guard makes that, or any other stray connection, impossible rather than merely unlikely.
import { afterEach, expect } from "vitest";
import { violations } from "./loopback-only.ts";

afterEach(() => {
  expect(violations, "non-loopback network access").toEqual([]);
});
