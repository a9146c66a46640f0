import { test, expect, openHydrated, uniqueEmail } from "./fixtures";
import { bookingOwner, ownerPage } from "./booking-helpers";

// The public chat with JavaScript: a lead (not signed in) and the owner talk to each other live,
// each in their own browser context; a private note never reaches the lead.
test("a lead and the owner talk live, and a private note stays with the team", async ({ page, browser, request }) => {
  const owner = await bookingOwner(request);
  const talkPath = owner.pagePath.replace("/book/", "/talk/");
  const leadName = `Lena Lead ${Date.now() % 100000}`;

  await openHydrated(page, talkPath);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(/^Chat with Olga Owner/);
  await page.getByLabel("Your name").fill(leadName);
  await page.getByLabel("Email").fill(uniqueEmail("lena"));
  await page.getByLabel("Your message").fill("Hi! Do you build <b>websites</b>?");
  await page.getByRole("button", { name: "Start the conversation" }).click();
  const seen = page.getByTestId("talk-message");
  await expect(seen).toHaveCount(1);
  await expect(seen.first().locator(".message-body")).toHaveText("Hi! Do you build <b>websites</b>?");
  await expect(seen.first()).toContainText("You");

  const agent = await ownerPage(browser, owner.email);
  const agentProblems: string[] = [];
  agent.on("console", (message) => {
    if (message.type() === "error" || /hydrat/i.test(message.text())) agentProblems.push(message.text());
  });
  await openHydrated(agent, "/chat?show=waiting");
  const item = agent.getByTestId("inbox-item").filter({ hasText: leadName });
  await expect(item).toContainText("Waiting");
  await expect(item.getByTestId("unread-count")).toHaveText("1");
  await item.getByRole("link").click();
  const thread = agent.getByTestId("thread-message");
  await expect(thread).toHaveCount(1);

  await agent.getByRole("textbox", { name: "Message" }).fill("Hello, we do! What do you have in mind?");
  await agent.getByRole("textbox", { name: "Message" }).press("Enter");
  await expect(seen).toHaveCount(2);
  await expect(seen.nth(1)).toContainText("Olga Owner");
  await expect(seen.nth(1).locator(".message-body")).toHaveText("Hello, we do! What do you have in mind?");

  await agent.getByTestId("private-note").check();
  await agent.getByRole("textbox", { name: "Message" }).fill("Sounds like a serious buyer");
  await agent.getByRole("textbox", { name: "Message" }).press("Enter");
  await expect(thread).toHaveCount(3);

  // The owner is typing when the lead writes: the lead's message is added in place, the state
  // turns to waiting, and the draft, the focus and the messages already shown stay (the thread
  // used to be drawn again on every event, which threw the draft away).
  const agentComposer = agent.getByRole("textbox", { name: "Message" });
  await agentComposer.fill("Half-written answer");
  await agentComposer.focus();
  await expect(agent.getByTestId("conversation-state")).toHaveText("Open");
  const firstShown = await thread.first().elementHandle();
  await page.getByRole("textbox", { name: "Message" }).fill("A shop,\nwith about 200 products.");
  await page.getByRole("textbox", { name: "Message" }).press("Enter");
  await expect(seen).toHaveCount(3);
  await expect(page.getByRole("textbox", { name: "Message" })).toHaveValue("");
  await expect(thread).toHaveCount(4);
  await expect(thread.nth(3).locator(".message-body")).toHaveText("A shop,\nwith about 200 products.");
  await expect(agent.getByTestId("conversation-state")).toHaveText("Waiting for a reply");
  await expect(agentComposer).toHaveValue("Half-written answer");
  await expect(agentComposer).toBeFocused();
  expect(await firstShown!.evaluate((node) => node.isConnected)).toBe(true);

  await page.reload();
  await page.locator("html[data-hydrated]").waitFor({ state: "attached" });
  await expect(seen).toHaveCount(3);
  await expect(page.getByText("Sounds like a serious buyer")).toHaveCount(0);
  await agent.context().close();
  expect(agentProblems).toEqual([]);
});

// A real reconnect: the owner's tab is hidden (its stream closes, as a browser tab left in the
// background does), the lead writes twice meanwhile, and when the tab is shown again its stream
// opens from the last message it had and the thread gains exactly the two missed messages, once.
test("a hidden thread reconnects from its last message and shows what it missed exactly once", async ({ page, browser, request }) => {
  const owner = await bookingOwner(request);
  const talkPath = owner.pagePath.replace("/book/", "/talk/");
  const leadName = `Rita Reconnect ${Date.now() % 100000}`;
  await openHydrated(page, talkPath);
  await page.getByLabel("Your name").fill(leadName);
  await page.getByLabel("Email").fill(uniqueEmail("rita"));
  await page.getByLabel("Your message").fill("First question");
  await page.getByRole("button", { name: "Start the conversation" }).click();
  const seen = page.getByTestId("talk-message");
  await expect(seen).toHaveCount(1);
  const leadComposer = page.getByRole("textbox", { name: "Message" });

  const agent = await ownerPage(browser, owner.email);
  const agentProblems: string[] = [];
  agent.on("console", (message) => {
    if (message.type() === "error" || /hydrat/i.test(message.text())) agentProblems.push(message.text());
  });
  const streams: string[] = [];
  agent.on("request", (request) => {
    if (new URL(request.url()).pathname === "/chat/events") streams.push(request.url());
  });
  await openHydrated(agent, "/chat?show=waiting");
  await agent.getByTestId("inbox-item").filter({ hasText: leadName }).getByRole("link").click();
  const thread = agent.getByTestId("thread-message");
  await expect(thread).toHaveCount(1);
  // The thread is live: a message arrives without a reload.
  await leadComposer.fill("Still there?");
  await leadComposer.press("Enter");
  await expect(thread).toHaveCount(2);
  const opened = streams.length;

  const setVisibility = (state: "hidden" | "visible") =>
    agent.evaluate((state) => {
      Object.defineProperty(document, "visibilityState", { value: state, configurable: true });
      Object.defineProperty(document, "hidden", { value: state === "hidden", configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
    }, state);
  await setVisibility("hidden");
  for (const text of ["Missed one", "Missed two"]) {
    await leadComposer.fill(text);
    await leadComposer.press("Enter");
    await expect(seen.filter({ hasText: text })).toHaveCount(1);
  }
  // The hidden tab has no stream: nothing arrived.
  await expect(thread).toHaveCount(2);

  await setVisibility("visible");
  await expect.poll(() => streams.length).toBeGreaterThan(opened);
  expect(new URL(streams[streams.length - 1]).searchParams.get("after")).toMatch(/^\d+$/);
  await expect(thread).toHaveCount(4);
  // The stream is in order: once a message written after the reconnect is shown, a duplicate of
  // the missed ones would have come before it.
  await leadComposer.fill("After the reconnect");
  await leadComposer.press("Enter");
  await expect(thread).toHaveCount(5);
  const bodies = await thread.locator(".message-body").allTextContents();
  expect(bodies).toEqual(["First question", "Still there?", "Missed one", "Missed two", "After the reconnect"]);
  await agent.context().close();
  expect(agentProblems).toEqual([]);
});
