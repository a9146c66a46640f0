import { test, expect, openHydrated, signUp, createClient, createStrategy, type APIRequestContext } from "./fixtures";

/** Creates one client per name and writes to each, `parallel` at a time, in the order given. */
async function clientsWithConversations(request: APIRequestContext, strategy: string, names: string[], parallel = 12) {
  for (let at = 0; at < names.length; at += parallel) {
    await Promise.all(
      names.slice(at, at + parallel).map(async (name) => {
        const id = await createClient(request, { name, strategy_id: strategy });
        const sent = await request.post("/api/send_chat_message", {
          form: { client_id: String(id), body: `Hello ${name}` },
          headers: { accept: "application/json" },
        });
        expect(sent.status(), await sent.text()).toBe(200);
      }),
    );
  }
}

// A search that many clients match looks through a window of the newest conversations (2,000)
// and says so; "Search older" goes on from there. Here every match is older than the window, so
// the first answer is empty and the link, followed in the hydrated page, finds them.
test("a broad inbox search that finds nothing recent says how far it looked and searches older conversations", async ({ page }) => {
  test.setTimeout(240_000);
  await signUp(page.request, "Broad Searcher");
  const strategy = String(await createStrategy(page.request, "Search persona"));
  const range = (count: number, name: string) => Array.from({ length: count }, (_, n) => `${name} ${n + 1}`);
  // More matches than a search lists by id (1,000), all before 2,000 newer conversations.
  await clientsWithConversations(page.request, strategy, range(1_010, "Zed Quill"));
  await clientsWithConversations(page.request, strategy, range(2_000, "Other Person"));

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
