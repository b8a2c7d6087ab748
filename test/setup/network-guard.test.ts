import net from "node:net";
import { describe, expect, it } from "vitest";
import { isLoopback, violations } from "./loopback-only.ts";

describe("the loopback-only guard every test runs under", () => {
  it.each(["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"])("allows %s", (host) => {
    expect(isLoopback(host)).toBe(true);
  });
  it.each(["169.254.169.254", "10.0.0.1", "192.168.1.1", "8.8.8.8", "management.azure.com", "::ffff:10.0.0.1"])("refuses %s", (host) => {
    expect(isLoopback(host)).toBe(false);
  });
  it("refuses a socket to the instance metadata service before any packet leaves", () => {
    expect(() => net.connect({ host: "169.254.169.254", port: 80 })).toThrow(/network guard/);
    violations.length = 0;
  });
});
