import { test as base, expect, type APIRequestContext, type Page } from "@playwright/test";

/** Console errors, page errors and hydration warnings seen during a test: each one fails it. */
export const test = base.extend<{ problems: string[] }>({
  problems: [
    async ({ page }, use) => {
      const problems: string[] = [];
      page.on("console", (message) => {
        const text = message.text();
        if (message.type() === "error" || /hydrat/i.test(text)) {
          problems.push(`${message.type()}: ${text} (${message.location().url})`);
        }
      });
      page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
      await use(problems);
      expect(problems, "console errors or hydration warnings").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** Opens `path` and waits until the WASM client has hydrated the server's HTML. */
export async function openHydrated(page: Page, path: string) {
  const response = await page.goto(path);
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  return response;
}

let accounts = 0;

/** A unique email, so tests running in parallel never collide. */
export function uniqueEmail(prefix = "user") {
  accounts += 1;
  return `${prefix}-${process.pid}-${Date.now()}-${accounts}@example.com`;
}

export const PASSWORD = "violet staircase at noon";

/** Creates an account through the sign-up server function; the browser context is then signed in. */
export async function signUp(request: APIRequestContext, name = "Test User") {
  const email = uniqueEmail();
  const response = await request.post("/api/signup", {
    form: { name, email, password: PASSWORD },
    maxRedirects: 0,
  });
  expect(response.status(), await response.text()).toBeLessThan(400);
  return email;
}

/** The admin the test server bootstraps at start-up (scripts/e2e.sh sets both variables). */
export const ADMIN_EMAIL = process.env.E2E_ADMIN_EMAIL ?? "admin@e2e.example.com";
export const ADMIN_PASSWORD = process.env.E2E_ADMIN_PASSWORD ?? "e2e admin lantern harbour";

/** Signs the browser context in as `email`. */
export async function signIn(request: APIRequestContext, email: string, password = PASSWORD) {
  const response = await request.post("/api/login", { form: { email, password }, maxRedirects: 0 });
  expect(response.status(), await response.text()).toBeLessThan(400);
}

export async function signInAsAdmin(request: APIRequestContext) {
  await signIn(request, ADMIN_EMAIL, ADMIN_PASSWORD);
}

/** Chromium logs each refused request (4xx) as a console error; a test that expects one removes it. */
export function expectRefusal(problems: string[], status: number) {
  const index = problems.findIndex((problem) => problem.includes(String(status)));
  if (index >= 0) problems.splice(index, 1);
}
/** Creates a strategy through its server function; returns its id. */
export async function createStrategy(request: APIRequestContext, name: string) {
  const response = await request.post("/api/create_strategy", {
    form: { name, creativity: "5", reply_delay_min: "0", reply_delay_max: "0" },
  });
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()).id as number;
}

/** Creates a client through its server function; returns its id. */
export async function createClient(request: APIRequestContext, fields: Record<string, string>) {
  const response = await request.post("/api/create_client", {
    form: fields,
    maxRedirects: 0,
    headers: { accept: "application/json" },
  });
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()) as number;
}

export type { APIRequestContext } from "@playwright/test";
