import { test, expect, openHydrated, signUp, expectRefusal, createStrategy, createClient } from "./fixtures";

test("a new client with a known email warns, links to the existing one and can be added anyway", async ({ page, problems }) => {
  await signUp(page.request, "Dina Duplicate");
  const strategy = await createStrategy(page.request, "Duplicate persona");
  const lima = await createClient(page.request, { name: "Lima Lopes", email: "lima@lopes.example", strategy_id: String(strategy) });

  await openHydrated(page, "/clients/new");
  await page.getByLabel("Name").fill("Lima L.");
  await page.getByLabel("Email").fill("LIMA@lopes.example");
  await page.getByLabel("Company").fill("Lopes Bikes");
  await page.getByRole("button", { name: "Add client" }).click();
  const warning = page.getByTestId("duplicate-warning");
  await expect(warning).toContainText("Lima Lopes already has this email.");
  await expect(warning.getByRole("link", { name: "Open that client" })).toHaveAttribute("href", `/clients/${lima}`);
  expectRefusal(problems, 422);
  // What was typed stays.
  await expect(page.getByLabel("Name")).toHaveValue("Lima L.");
  await expect(page.getByLabel("Company")).toHaveValue("Lopes Bikes");

  await warning.getByLabel("Add this client anyway").check();
  await page.getByRole("button", { name: "Add client" }).click();
  await expect(page).toHaveURL("/clients");
  await expect(page.getByTestId("client-row").filter({ hasText: "Lima" })).toHaveCount(2);
});

test("a client is deleted from its page after a ticked confirmation", async ({ page, problems }) => {
  await signUp(page.request, "Dora Delete");
  const strategy = await createStrategy(page.request, "Delete persona");
  const id = await createClient(page.request, { name: "Gone Gina", strategy_id: String(strategy) });
  await openHydrated(page, `/clients/${id}`);
  await page.getByText("Delete this client…").click();
  await page.getByRole("button", { name: "Delete permanently" }).click();
  await expect(page.locator("#confirm-error")).toContainText("Tick the box");
  expectRefusal(problems, 422);
  await expect(page).toHaveURL(`/clients/${id}`);

  await page.getByLabel("Yes, delete Gone Gina").check();
  await page.getByRole("button", { name: "Delete permanently" }).click();
  await expect(page).toHaveURL("/clients");
  await expect(page.getByText("Client deleted.")).toBeVisible();
  expect((await page.request.get(`/clients/${id}`)).status()).toBe(404);
});

test("working a lead brings it to the top of the list's default order", async ({ page }) => {
  await signUp(page.request, "Walter Worker");
  const strategy = await createStrategy(page.request, "Activity persona");
  const older = await createClient(page.request, { name: "Older Olive", strategy_id: String(strategy) });
  await createClient(page.request, { name: "Newer Nora", strategy_id: String(strategy) });
  await openHydrated(page, "/clients");
  await expect(page.getByTestId("client-row").first()).toContainText("Newer Nora");

  const moved = await page.request.post("/api/move_client", { form: { id: String(older), status: "contacted" } });
  expect(moved.status()).toBe(200);
  await openHydrated(page, "/clients");
  await expect(page.getByTestId("client-row").first()).toContainText("Older Olive");
});

test("new clients get the default strategy, which the editor changes, and never a silent pick", async ({ page }) => {
  await signUp(page.request, "Stella Strategist");
  const first = await createStrategy(page.request, "Zeta first");
  const second = await createStrategy(page.request, "Alpha second");
  await openHydrated(page, "/clients/new");
  await expect(page.getByLabel("Strategy")).toHaveValue(String(first));

  await openHydrated(page, `/strategies/${second}`);
  await page.getByRole("button", { name: "Make default for new clients" }).click();
  await expect(page.getByTestId("default-strategy")).toBeVisible();
  await openHydrated(page, "/strategies");
  await expect(page.getByTestId("strategy-row").filter({ hasText: "Alpha second" })).toContainText("Default");
  await expect(page.getByTestId("strategy-row").filter({ hasText: "Zeta first" })).not.toContainText("Default");
  await openHydrated(page, "/clients/new");
  await expect(page.getByLabel("Strategy")).toHaveValue(String(second));

  // Without a default, the form asks for one instead of choosing.
  const removed = await page.request.post("/api/delete_strategy", { form: { id: String(second) } });
  expect(removed.status()).toBe(200);
  await openHydrated(page, "/clients/new");
  await expect(page.getByLabel("Strategy")).toHaveValue("");
  await expect(page.getByLabel("Strategy").locator("option:checked")).toHaveText("Choose a strategy…");
});

test("a failed plain post's values show once, and are forgotten once the person moves on", async ({ page, baseURL }) => {
  await signUp(page.request, "Fiona Flash");
  const strategy = await createStrategy(page.request, "Flash persona");
  // Posted as a browser without JavaScript posts it: the failure and what was typed come back once.
  const posted = await page.request.post("/api/create_client", {
    form: { name: "", email: "kept@flash.example", strategy_id: String(strategy) },
    headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8", referer: `${baseURL}/clients/new` },
    maxRedirects: 0,
  });
  expect(posted.status()).toBe(303);
  await openHydrated(page, "/clients/new");
  await expect(page.getByLabel("Email")).toHaveValue("kept@flash.example");
  await expect(page.locator("#name-error")).toContainText("Enter the client's name.");

  // Moving on in the browser and coming back opens an empty form.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Clients" }).click();
  await expect(page).toHaveURL("/clients");
  await page.goBack();
  await expect(page).toHaveURL("/clients/new");
  await expect(page.getByLabel("Name")).toBeVisible();
  await expect(page.getByLabel("Email")).toHaveValue("");
  await expect(page.locator("#name-error")).toHaveCount(0);
});
