import type { Page } from "@playwright/test";
import { test, expect, openHydrated, signUp, createStrategy } from "./fixtures";

/**
 * Creates one client per name and writes to each, `parallel` at a time, in the order given. Node's
 * own fetch with the context's session cookie: thousands of requests through Playwright's request
 * context cost about three times the CPU.
 */
async function clientsWithConversations(page: Page, strategy: string, names: string[], parallel = 8) {
  const base = new URL(test.info().project.use.baseURL ?? "").origin;
  const cookie = (await page.context().cookies(base)).map((c) => `${c.name}=${c.value}`).join("; ");
  const post = async (path: string, form: Record<string, string>) => {
    const response = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { cookie, accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form),
    });
    const text = await response.text();
    expect(response.status, text).toBe(200);
    return text;
  };
  for (let at = 0; at < names.length; at += parallel) {
    await Promise.all(
      names.slice(at, at + parallel).map(async (name) => {
        const id = JSON.parse(await post("/api/create_client", { name, strategy_id: strategy })) as number;
        await post("/api/send_chat_message", { client_id: String(id), body: `Hello ${name}` });
      }),
    );
  }
}

// A search that many clients match looks through a window of the newest conversations (2,000)
// and says so; "Search older" goes on from there. Here every match is older than the window, so
// the first answer is empty and the link, followed in the hydrated page, finds them.
test("a broad inbox search that finds nothing recent says how far it looked and searches older conversations", async ({ page }) => {
  test.setTimeout(180_000);
  await signUp(page.request, "Broad Searcher");
  const strategy = String(await createStrategy(page.request, "Search persona"));
  const range = (count: number, name: string) => Array.from({ length: count }, (_, n) => `${name} ${n + 1}`);
  // More matches than a search lists by id (1,000), all before 2,000 newer conversations.
  await clientsWithConversations(page, strategy, range(1_010, "Zed Quill"));
  await clientsWithConversations(page, strategy, range(2_000, "Other Person"));

  await openHydrated(page, "/chat");
  await page.getByLabel("Search").fill("zed quill");
  await page.getByLabel("Search").press("Enter");
  await expect(page).toHaveURL(/\/chat\?q=zed\+quill/);
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await expect(page.getByTestId("inbox-empty")).toContainText("No match in the 2,000 most recent conversations.");
  await expect(page.getByTestId("inbox-empty")).toContainText("search older conversations, or add a word");
  const older = page.getByTestId("inbox-older");
  await expect(older).toHaveText("Search older");

  // The link is followed in the page (no reload: the marker survives) and keeps the search.
  await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
  await older.focus();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/after=/);
  const items = page.getByTestId("inbox-item");
  await expect(items).toHaveCount(25);
  for (const text of await items.allInnerTexts()) expect(text).toContain("Zed Quill");
  await expect(page.getByTestId("inbox-empty")).toHaveCount(0);
  await expect(page.getByLabel("Search")).toHaveValue("zed quill");
  expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);
  // A full page of matches goes on, and "Newest" leads back to the start of the search.
  await expect(page.getByTestId("inbox-older")).toHaveText("Older");
  await page.getByRole("link", { name: "Newest" }).click();
  await expect(page.getByTestId("inbox-empty")).toContainText("No match in the 2,000 most recent conversations.");
});
