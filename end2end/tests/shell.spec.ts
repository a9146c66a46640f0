import { statSync } from "node:fs";
import { join } from "node:path";
import { test, expect, openHydrated, signUp, signInAsAdmin, expectRefusal } from "./fixtures";

const sections = [
  ["Dashboard", "/", "Dashboard"],
  ["Clients", "/clients", "Clients"],
  ["Pipeline", "/pipeline", "Pipeline"],
  ["Strategies", "/strategies", "Strategies"],
  ["Bookings", "/bookings", "Bookings"],
  ["Chat", "/chat", "Chat"],
  ["Settings", "/settings", "Settings"],
] as const;

test.beforeEach(async ({ page }) => {
  await signUp(page.request);
});

test("the shell renders on the server and hydrates", async ({ page }) => {
  const response = await page.goto("/");
  expect(response?.status()).toBe(200);
  // Server-rendered HTML is complete before any WASM runs.
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await expect(page).toHaveTitle("Dashboard · CRM");
  await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
});

test("every preload link asks for the file without credentials, never with the nonce", async ({ page }) => {
  // `/` is a lazy route, so its head also lists the chunks the dashboard needs.
  const html = await (await page.request.get("/")).text();
  const links = [...html.matchAll(/<link\b[^>]*rel="(?:modulepreload|preload)"[^>]*>/g)].map((m) => m[0]);
  expect(links.filter((link) => link.includes(".wasm")).length).toBeGreaterThan(1);
  for (const link of links) expect(link).toContain('crossorigin="anonymous"');
  const nonce = /<script[^>]*nonce="([^"]+)"/.exec(html)?.[1];
  expect(nonce).toBeTruthy();
  expect(html.split(`crossorigin="${nonce}"`).length).toBe(1);
});

test("the sidebar navigates client-side to every section", async ({ page }) => {
  await openHydrated(page, "/");
  // A client-side navigation keeps this marker; a full page load would lose it.
  await page.evaluate(() => ((window as unknown as { __spa: boolean }).__spa = true));
  const nav = page.getByRole("navigation", { name: "Main" });
  for (const [label, path, heading] of sections) {
    await nav.getByRole("link", { name: label }).click();
    await expect(page).toHaveURL(path);
    await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
    await expect(nav.getByRole("link", { name: label })).toHaveAttribute("aria-current", "page");
  }
  expect(await page.evaluate(() => (window as unknown as { __spa?: boolean }).__spa)).toBe(true);
});

test("the status page reports the database, Redis and schema to admins", async ({ page }) => {
  await signInAsAdmin(page.request);
  await openHydrated(page, "/status");
  const expectedDatabase = process.env.E2E_DATABASE_KIND ?? "SQLite";
  await expect(page.getByTestId("status-database")).toContainText(expectedDatabase);
  await expect(page.getByTestId("status-database")).toContainText("up");
  await expect(page.getByTestId("status-schema")).toHaveText(/^m\d{8}_\d{6}_\w+$/);
  await expect(page.getByTestId("status-redis")).toContainText(
    process.env.E2E_REDIS === "on" ? "up" : "not configured",
  );
});

test("unknown pages answer 404 with a way back", async ({ page, problems }) => {
  const response = await openHydrated(page, "/no-such-page");
  expect(response?.status()).toBe(404);
  // Chromium reports the page's own 404 status on the console: that one is expected, nothing else.
  const expected = problems.findIndex((p) => p.includes("404 (Not Found)") && p.endsWith("/no-such-page)"));
  expect(expected).toBeGreaterThanOrEqual(0);
  problems.splice(expected, 1);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await page.getByRole("link", { name: "Go to the dashboard" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
});

test("health and readiness probes answer", async ({ request }) => {
  const health = await request.get("/healthz");
  expect(health.status()).toBe(200);
  expect(await health.text()).toBe("ok");
  const ready = await request.get("/readyz");
  expect(ready.status()).toBe(200);
  const body = await ready.json();
  expect(body.ready).toBe(true);
  expect(body.database).toBe("up");
  expect(body.redis).toBe(process.env.E2E_REDIS === "on" ? "up" : "not configured");
});

test("only admins see the Users and Status sections", async ({ page, browser, problems }) => {
  await openHydrated(page, "/");
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Settings" })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Users" })).toHaveCount(0);
  await expect(nav.getByRole("link", { name: "Status" })).toHaveCount(0);
  for (const path of ["/users", "/status"]) {
    const response = await openHydrated(page, path);
    expect(response?.status(), path).toBe(403);
    expectRefusal(problems, 403);
    await expect(page.getByRole("heading", { level: 1, name: "No access" })).toBeVisible();
    await expect(page.getByRole("alert")).toContainText("You do not have access to this.");
  }

  const admin = await browser.newContext();
  await signInAsAdmin(admin.request);
  const adminPage = await admin.newPage();
  await openHydrated(adminPage, "/");
  await adminPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }).click();
  await expect(adminPage).toHaveURL("/users");
  await expect(adminPage.getByRole("heading", { level: 1, name: "Users" })).toBeVisible();
  await admin.close();
});

/** The client's files the dashboard (a lazy page, signed in) names in its head: the main module, its
 * glue, the split loader, the stylesheet. */
async function clientFiles(request: import("@playwright/test").APIRequestContext): Promise<string[]> {
  const html = await (await request.get("/")).text();
  const names = [...html.matchAll(/<link\b[^>]*href="\/pkg\/([^"]+)"/g)].map((m) => m[1]);
  const wanted = [/^crm\.[\w-]+\.wasm$/, /^crm\.[\w-]+\.js$/, /^crm\.[\w-]+\.css$/, /^__wasm_split\.[\w-]+\.js$/];
  return wanted.map((pattern) => {
    const name = names.find((candidate) => pattern.test(candidate));
    expect(name, `a link matching ${pattern} in ${names.join(", ")}`).toBeTruthy();
    return name!;
  });
}

test("the client's files are sent precompressed, brotli or gzip as the browser asks", async ({ page }) => {
  const request = page.request;
  const pkg = join(__dirname, "..", "..", "target", "site", "pkg");
  for (const name of await clientFiles(request)) {
    for (const [encoding, suffix] of [
      ["br", ".br"],
      ["gzip", ".gz"],
    ]) {
      const response = await request.get(`/pkg/${name}`, { headers: { "accept-encoding": encoding } });
      expect(response.status(), name).toBe(200);
      expect(response.headers()["content-encoding"], name).toBe(encoding);
      // Compressing on the fly streams without a length: this one is the file made at build time.
      expect(response.headers()["content-length"], name).toBe(String(statSync(join(pkg, name + suffix)).size));
    }
  }
});

test("the client's files carry content hashes and are cached for a year; pages and public files are not", async ({ page }) => {
  const request = page.request;
  const files = await clientFiles(request);
  const html = await (await request.get("/")).text();
  const chunks = [...html.matchAll(/<link\b[^>]*href="\/pkg\/([^"]+\.wasm)"/g)].map((m) => m[1]);
  for (const name of [...files, ...chunks]) {
    const response = await request.get(`/pkg/${name}`);
    expect(response.status(), name).toBe(200);
    expect(response.headers()["cache-control"], name).toBe("public, max-age=31536000, immutable");
  }
  // A file that is not there is not cached at all, so that a deploy in progress heals on the next load.
  const missing = await request.get("/pkg/crm.nosuchhash.wasm");
  expect(missing.status()).toBe(404);
  expect(missing.headers()["cache-control"]).not.toContain("immutable");
  for (const path of ["/favicon.svg", "/icons.svg"]) {
    const response = await request.get(path);
    expect(response.headers()["cache-control"], path).toBe("no-cache");
    const modified = response.headers()["last-modified"];
    expect(modified, path).toBeTruthy();
    expect((await request.get(path, { headers: { "if-modified-since": modified } })).status(), path).toBe(304);
  }
  expect((await request.get("/")).headers()["cache-control"]).toBe("no-store");
});
