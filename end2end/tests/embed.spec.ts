import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { test, expect, openHydrated, uniqueEmail } from "./fixtures";
import { bookingOwner, ownerPage } from "./booking-helpers";

/** A stand-in for the owner's own website: serves `html` at `http://localhost:{port}/`. */
async function website(html: string): Promise<{ url: string; server: Server }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // `localhost` and 127.0.0.1 are different sites: the chat is framed cross-site, as on a real website.
  return { url: `http://localhost:${(server.address() as AddressInfo).port}`, server };
}

const page = (snippet: string) =>
  `<!doctype html><html lang="en"><head><title>Olga's shop</title></head><body><h1>Our shop</h1>${snippet}</body></html>`;

// The owner lists their website in settings and pastes the snippet there: a lead chats inside the
// frame and gets the owner's answer live; a website the owner did not list cannot show the chat.
test("the chat works framed on a website the owner listed, and only there", async ({ browser, request }) => {
  const owner = await bookingOwner(request);
  const listed = await website("");
  const unlisted = await website("");
  try {
    const agent = await ownerPage(browser, owner.email);
    await openHydrated(agent, "/settings");
    const section = agent.getByTestId("embed-settings");
    await section.getByLabel("Websites that may show your chat").fill(`${listed.url}/shop`);
    await section.getByRole("button", { name: "Save websites" }).click();
    await expect(section.locator("#embed_origins-error")).toContainText("without a path");
    await section.getByLabel("Websites that may show your chat").fill(listed.url);
    await section.getByRole("button", { name: "Save websites" }).click();
    await expect(section.getByTestId("embed-outcome")).toHaveText("Saved.");
    const snippet = (await section.getByTestId("embed-snippet").textContent())!;
    expect(snippet).toContain(owner.pagePath.replace("/book/", "/talk/"));

    // The same snippet on both websites.
    listed.server.removeAllListeners("request");
    unlisted.server.removeAllListeners("request");
    for (const site of [listed, unlisted]) {
      site.server.on("request", (_request, response) => {
        response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        response.end(page(snippet));
      });
    }

    const leadContext = await browser.newContext();
    const lead = await leadContext.newPage();
    await lead.goto(listed.url);
    const chat = lead.frameLocator("iframe");
    await expect(chat.getByRole("heading", { level: 1 })).toHaveText(/^Chat with Olga Owner/);
    const leadName = `Fiona Frame ${Date.now() % 100000}`;
    await chat.getByLabel("Your name").fill(leadName);
    await chat.getByLabel("Email").fill(uniqueEmail("fiona"));
    await chat.getByLabel("Your message").fill("Hello from your shop page");
    await chat.getByRole("button", { name: "Start the conversation" }).click();
    const seen = chat.getByTestId("talk-message");
    await expect(seen).toHaveCount(1);

    await openHydrated(agent, "/chat?show=waiting");
    await agent.getByTestId("inbox-item").filter({ hasText: leadName }).getByRole("link").click();
    await agent.getByRole("textbox", { name: "Message" }).fill("Hi Fiona, happy to help.");
    await agent.getByRole("textbox", { name: "Message" }).press("Enter");
    await expect(seen).toHaveCount(2);
    await expect(seen.nth(1).locator(".message-body")).toHaveText("Hi Fiona, happy to help.");

    // The lead's conversation survives a reload of the website (the frame's own cookie).
    await lead.reload();
    await expect(chat.getByTestId("talk-message")).toHaveCount(2);

    const strangerContext = await browser.newContext();
    const stranger = await strangerContext.newPage();
    const refused = new Promise<string>((resolve) =>
      stranger.on("console", (message) => {
        if (/frame-ancestors/.test(message.text())) resolve(message.text());
      }),
    );
    await stranger.goto(unlisted.url);
    expect(await refused).toContain("frame-ancestors");
    await expect(stranger.frameLocator("iframe").getByRole("heading", { name: /Chat with/ })).toHaveCount(0);
    await Promise.all([leadContext.close(), strangerContext.close(), agent.context().close()]);
  } finally {
    listed.server.close();
    unlisted.server.close();
  }
});
