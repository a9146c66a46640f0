import { existsSync } from "node:fs";
import { defineConfig } from "@playwright/test";

// The test script starts the real server and passes its address in BASE_URL.
// Playwright's own browser download cannot work here: Debian's Chromium is used instead.
const baseURL = process.env.BASE_URL ?? "http://127.0.0.1:3000";
// The real binary behind Debian's /usr/bin/chromium wrapper (which prints a shell warning).
const chromium =
  process.env.CHROMIUM_PATH ??
  (existsSync("/usr/lib/chromium/chromium") ? "/usr/lib/chromium/chromium" : "/usr/bin/chromium");

export default defineConfig({
  testDir: "./tests",
  // Whole flows (several pages, a second browser context, a sign-in) run two at a time beside the
  // server on two cores; under that load a long flow took 34 s. Each step keeps its own 10 s.
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  forbidOnly: true,
  retries: 0,
  reporter: "list",
  use: {
    baseURL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: chromium,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [
    { name: "chromium", use: { javaScriptEnabled: true }, testIgnore: /.*\.nojs\.spec\.ts/ },
    { name: "no-javascript", use: { javaScriptEnabled: false }, testMatch: /.*\.nojs\.spec\.ts/ },
  ],
});
