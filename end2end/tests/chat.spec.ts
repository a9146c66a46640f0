import { test, expect, expectRefusal, openHydrated, signUp, signInAsAdmin, createClient, createStrategy } from "./fixtures";

// The inbox and the thread with JavaScript: messages, notes and unread counts arrive over the
// stream (/chat/events) without a reload, in another tab of the same user and in an admin's.
test("an agent's messages reach the admin's inbox and thread live, unread counts included", async ({ page, browser }) => {
  await signUp(page.request, "Agent Live");
  const strategy = String(await createStrategy(page.request, "Live persona"));
  const name = `Lena Live ${Date.now() % 1000000}`;
  const client = await createClient(page.request, { name, email: "lena.live@example.com", strategy_id: strategy });

  const adminContext = await browser.newContext();
  const admin = await adminContext.newPage();
  const adminProblems: string[] = [];
  admin.on("console", (message) => {
    if (message.type() === "error" || /hydrat/i.test(message.text())) adminProblems.push(message.text());
  });
  await signInAsAdmin(admin.request);
  await openHydrated(admin, `/chat?q=${encodeURIComponent(name)}`);
  await expect(admin.getByTestId("inbox-empty")).toContainText("No conversation matches these filters.");

  await openHydrated(page, `/chat/${client}`);
  await expect(page.getByTestId("thread-empty")).toBeVisible();
  const composer = page.getByRole("textbox", { name: "Message" });
  await composer.fill("Hello Lena, thanks for your interest.");
  await composer.press("Enter");
  const messages = page.getByTestId("thread-message");
  await expect(messages).toHaveCount(1);
  await expect(messages.first()).toContainText("Agent Live");
  await expect(messages.first()).toContainText("Hello Lena, thanks for your interest.");
  await expect(composer).toHaveValue("");
  await expect(composer).toBeFocused();

  // The admin's inbox gains the conversation, unread, without a reload.
  const item = admin.getByTestId("inbox-item");
  await expect(item).toHaveCount(1);
  await expect(item).toContainText(name);
  await expect(item).toContainText("Hello Lena, thanks for your interest.");
  await expect(item.getByTestId("unread-count")).toHaveText("1");

  // Shift+Enter makes a new line; Enter sends both lines as one message.
  await composer.fill("Two things:");
  await composer.press("Shift+Enter");
  await composer.pressSequentially("a time, and a price.");
  await expect(composer).toHaveValue("Two things:\na time, and a price.");
  await composer.press("Enter");
  await expect(messages).toHaveCount(2);
  await expect(messages.nth(1).locator(".message-body")).toHaveText("Two things:\na time, and a price.");
  await expect(item.getByTestId("unread-count")).toHaveText("2");

  // Opening the thread marks it read; the admin then sees the next message arrive in place.
  await item.getByRole("link").click();
  await expect(admin).toHaveURL(`/chat/${client}`);
  const adminMessages = admin.getByTestId("thread-message");
  await expect(adminMessages).toHaveCount(2);
  await composer.fill("Lead text stays text: <b>not bold</b>");
  await page.getByTestId("private-note").check();
  await composer.press("Enter");
  await expect(adminMessages).toHaveCount(3);
  const note = adminMessages.nth(2);
  await expect(note).toContainText("Private note");
  await expect(note.locator(".message-body")).toHaveText("Lead text stays text: <b>not bold</b>");
  await expect(note.locator("b")).toHaveCount(0);
  await expect(note).toHaveClass(/message-private/);

  await admin.goto(`/chat?q=${encodeURIComponent(name)}`);
  await expect(item).toContainText("Private note: Lead text stays text");
  await expect(item.getByTestId("unread-count")).toHaveCount(0);
  await adminContext.close();
  expect(adminProblems).toEqual([]);
});

test("the AI mode and the state change in place, and a refused empty message keeps the thread", async ({ page, problems }) => {
  await signUp(page.request, "Mode Switcher");
  const strategy = String(await createStrategy(page.request, "Mode persona"));
  const client = await createClient(page.request, { name: "Mona Mode", strategy_id: strategy });

  await openHydrated(page, `/chat/${client}`);
  const modes = page.getByTestId("ai-mode");
  await expect(modes.getByRole("button", { name: "AI off" })).toHaveAttribute("aria-pressed", "true");
  await modes.getByRole("button", { name: "AI suggests" }).click();
  await expect(modes.getByRole("button", { name: "AI suggests" })).toHaveAttribute("aria-pressed", "true");
  await expect(modes.getByRole("button", { name: "AI off" })).toHaveAttribute("aria-pressed", "false");

  await expect(page.getByTestId("conversation-state")).toHaveText("Open");
  await page.getByTestId("conversation-toggle").click();
  await expect(page.getByTestId("conversation-state")).toHaveText("Closed");
  await expect(page.getByTestId("conversation-toggle")).toHaveText("Reopen the conversation");

  await page.getByRole("button", { name: "Send" }).click();
  await expect(page.locator("#body-error")).toHaveText("Write a message first.");
  expectRefusal(problems, 422);
  await expect(page.getByTestId("thread-empty")).toBeVisible();

  await page.goto(`/chat?ai=suggest`);
  await expect(page.getByTestId("inbox-item").filter({ hasText: "Mona Mode" })).toContainText("AI suggests");
});

test("a search being typed in the inbox stays, focused, while a message arrives", async ({ page }) => {
  await signUp(page.request, "Inbox Typist");
  const strategy = String(await createStrategy(page.request, "Typist persona"));
  const client = await createClient(page.request, { name: "Tara Typed", strategy_id: strategy });
  await openHydrated(page, "/chat");
  await expect(page.getByTestId("inbox-empty")).toBeVisible();

  const search = page.getByRole("searchbox");
  await search.fill("Tara");
  const sent = await page.request.post("/api/send_chat_message", {
    form: { client_id: String(client), body: "Hello Tara" },
  });
  expect(sent.status(), await sent.text()).toBe(200);
  await expect(page.getByTestId("inbox-item")).toContainText("Hello Tara");
  await expect(search).toHaveValue("Tara");
  await expect(search).toBeFocused();
});
