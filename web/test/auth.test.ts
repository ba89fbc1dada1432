import { describe, expect, it } from "vitest";
import { createRequestContext, isHttpsRequest, isLoopbackRequest } from "../lib/auth";

/** A request as the route handler sees it: Next.js builds the URL from its own address. */
function request(headers: Record<string, string>): Request {
  return new Request("http://127.0.0.1:3000/api/trpc/stats", { headers });
}

describe("the loopback rule without a trusted proxy (the default)", () => {
  const untrusted = { trustProxy: false };

  it("lets in a request for a loopback host", () => {
    for (const host of ["localhost:3000", "127.0.0.1:3000", "[::1]:3000", "localhost"]) {
      expect(isLoopbackRequest(request({ host }), untrusted)).toBe(true);
    }
  });

  it("ignores X-Forwarded-Host: a forwarded loopback name does not let in another host", () => {
    const spoofed = request({ host: "evil.example", "x-forwarded-host": "localhost" });
    expect(isLoopbackRequest(spoofed, untrusted)).toBe(false);
    expect(createRequestContext(spoofed, untrusted)).toEqual({ via: null });
    // Nor does a forwarded foreign host shut out a local one.
    expect(isLoopbackRequest(request({ host: "localhost:3000", "x-forwarded-host": "evil.example" }), untrusted)).toBe(
      true,
    );
  });

  it("refuses a request forwarded for an address elsewhere (Next.js fills in the peer's address)", () => {
    expect(isLoopbackRequest(request({ host: "localhost:3000", "x-forwarded-for": "203.0.113.9" }), untrusted)).toBe(
      false,
    );
    expect(
      isLoopbackRequest(request({ host: "localhost:3000", "x-forwarded-for": "127.0.0.1, 203.0.113.9" }), untrusted),
    ).toBe(false);
    expect(isLoopbackRequest(request({ host: "localhost:3000", "x-forwarded-for": "127.0.0.1" }), untrusted)).toBe(
      true,
    );
  });

  it("does not take X-Forwarded-Proto's word for HTTPS", () => {
    expect(isHttpsRequest(request({ host: "localhost", "x-forwarded-proto": "https" }), untrusted)).toBe(false);
  });

  it("reads ERRAND_TRUST_PROXY when not told", () => {
    const spoofed = request({ host: "evil.example", "x-forwarded-host": "localhost" });
    const saved = process.env.ERRAND_TRUST_PROXY;
    try {
      delete process.env.ERRAND_TRUST_PROXY;
      expect(isLoopbackRequest(spoofed)).toBe(false);
      process.env.ERRAND_TRUST_PROXY = "1";
      expect(isLoopbackRequest(spoofed)).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.ERRAND_TRUST_PROXY;
      else process.env.ERRAND_TRUST_PROXY = saved;
    }
  });
});

describe("the loopback rule behind a trusted proxy (trustProxy)", () => {
  const trusted = { trustProxy: true };

  it("reads the host the proxy forwarded (its first value) instead of Host", () => {
    expect(isLoopbackRequest(request({ host: "app:3000", "x-forwarded-host": "localhost:8080" }), trusted)).toBe(true);
    expect(
      isLoopbackRequest(request({ host: "127.0.0.1:3000", "x-forwarded-host": "tasks.example.com" }), trusted),
    ).toBe(false);
    expect(
      isLoopbackRequest(
        request({ host: "127.0.0.1:3000", "x-forwarded-host": "tasks.example.com, localhost" }),
        trusted,
      ),
    ).toBe(false);
    expect(isLoopbackRequest(request({ host: "localhost:3000" }), trusted)).toBe(true);
  });

  it("still refuses a client forwarded from elsewhere", () => {
    expect(
      isLoopbackRequest(
        request({ host: "app:3000", "x-forwarded-host": "localhost", "x-forwarded-for": "198.51.100.7" }),
        trusted,
      ),
    ).toBe(false);
  });

  it("takes the forwarded protocol for HTTPS", () => {
    expect(isHttpsRequest(request({ host: "app", "x-forwarded-proto": "https" }), trusted)).toBe(true);
    expect(isHttpsRequest(request({ host: "app", "x-forwarded-proto": "http" }), trusted)).toBe(false);
  });
});

describe("with ERRAND_DASHBOARD_TOKEN", () => {
  it("lets in the token and nothing else, whatever the host", () => {
    const saved = process.env.ERRAND_DASHBOARD_TOKEN;
    try {
      process.env.ERRAND_DASHBOARD_TOKEN = "s3cret";
      expect(createRequestContext(request({ host: "localhost", authorization: "Bearer s3cret" }))).toEqual({
        via: "token",
      });
      expect(createRequestContext(request({ host: "localhost" }))).toEqual({ via: null });
      expect(createRequestContext(request({ host: "x", cookie: "errand_token=s3cret" }))).toEqual({ via: "token" });
    } finally {
      if (saved === undefined) delete process.env.ERRAND_DASHBOARD_TOKEN;
      else process.env.ERRAND_DASHBOARD_TOKEN = saved;
    }
  });
});
