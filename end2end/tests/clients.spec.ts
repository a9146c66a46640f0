import { test, expect, openHydrated, signUp, expectRefusal, createStrategy, createClient } from "./fixtures";

test("a client is created, found, edited and deleted with confirmation", async ({ page, problems }) => {
  await signUp(page.request, "Carla Clients");
  await createStrategy(page.request, "Warm opener");
  await openHydrated(page, "/clients");
  await expect(page.getByText("No clients yet.")).toBeVisible();
  await page.getByRole("link", { name: "New client" }).first().click();
  await expect(page).toHaveURL("/clients/new");

  // The browser checks a field as soon as it is left.
  await page.getByLabel("Email").fill("not-an-email");
  await page.getByLabel("Phone").click();
  await expect(page.locator("#email-error")).toContainText("name@example.com");
  await page.getByLabel("Email").fill("dana@northwind.example");
  await page.getByLabel("Phone").click();
  await expect(page.locator("#email-error")).toHaveCount(0);

  // The server refuses a missing name with the message next to the field.
  await page.getByRole("button", { name: "Add client" }).click();
  await expect(page.locator("#name-error")).toHaveText("Enter the client's name.");
  expectRefusal(problems, 422);

  await page.getByLabel("Name").fill("Dana Northwind");
  await page.getByLabel("Phone").fill("+1 415 555 0100");
  await page.getByLabel("Company").fill("Northwind Traders");
  await page.getByLabel("Status").selectOption("qualified");
  await page.getByRole("button", { name: "Add client" }).click();
  await expect(page).toHaveURL("/clients");
  const row = page.getByTestId("client-row").filter({ hasText: "Dana Northwind" });
  await expect(row).toContainText("Qualified");
  await expect(row).toContainText("Warm opener");

  // Search by company, through the URL.
  await page.getByLabel("Search").fill("northwind tr");
  await expect(page).toHaveURL(/q=northwind(%20|\+)tr/);
  await expect(page.getByTestId("client-row")).toHaveCount(1);

  // The client page, then its edit form, which comes back to the client page.
  await row.getByRole("link", { name: "Dana Northwind" }).click();
  await expect(page).toHaveURL(/\/clients\/\d+$/);
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Dana Northwind");
  await page.getByRole("link", { name: "Edit", exact: true }).click();
  await expect(page.getByLabel("Company")).toHaveValue("Northwind Traders");
  await page.getByLabel("Status").selectOption("won");
  await page.getByRole("button", { name: "Save client" }).click();
  await expect(page).toHaveURL(/\/clients\/\d+$/);
  await expect(page.getByTestId("client-status")).toHaveText("Won");
  await openHydrated(page, "/clients");
  await expect(page.getByTestId("client-row").filter({ hasText: "Dana Northwind" })).toContainText("Won");

  // Delete needs the confirmation box.
  await page.getByLabel("Select Dana Northwind").check();
  await page.getByLabel("Action").selectOption("delete");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.locator("#confirm-error")).toContainText("Tick the box");
  expectRefusal(problems, 422);
  await page.getByLabel("Select Dana Northwind").check();
  await page.getByLabel("Action").selectOption("delete");
  await page.getByLabel("Yes, delete them").check();
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByText("No clients yet.")).toBeVisible();
});

test("the list sorts, pages and changes statuses in bulk", async ({ page }) => {
  await signUp(page.request, "Bulk Person");
  const strategy = await createStrategy(page.request, "Bulk strategy");
  for (let n = 0; n < 55; n++) {
    await createClient(page.request, { name: `Lead ${String(n).padStart(2, "0")}`, strategy_id: String(strategy) });
  }
  await openHydrated(page, "/clients");
  await expect(page.getByTestId("clients-total")).toHaveText("55 clients");
  await expect(page.getByTestId("client-row")).toHaveCount(50);

  // Sort by name (A to Z), then page forwards and back.
  await page.getByRole("link", { name: "Name", exact: true }).click();
  await expect(page).toHaveURL(/sort=name/);
  await expect(page.getByTestId("client-row").first()).toContainText("Lead 00");
  await page.getByRole("link", { name: "Next" }).click();
  await expect(page.getByTestId("client-row")).toHaveCount(5);
  await expect(page.getByTestId("client-row").first()).toContainText("Lead 50");
  await page.getByRole("link", { name: "Previous" }).click();
  await expect(page.getByTestId("client-row").first()).toContainText("Lead 00");
  await page.goBack();
  await expect(page.getByTestId("client-row").first()).toContainText("Lead 50");
  await page.goBack();

  // Bulk: two selected clients become "contacted"; the status filter finds exactly them.
  await page.getByLabel("Select Lead 00").check();
  await page.getByLabel("Select Lead 01").check();
  await page.getByLabel("Action").selectOption("status");
  await page.getByLabel("Stage", { exact: true }).selectOption("contacted");
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("bulk-outcome")).toHaveText("2 clients changed.");
  await page.goto("/clients?status=contacted");
  await expect(page.getByTestId("client-row")).toHaveCount(2);
});

test("a list and a board filtered by strategy keep working as they are sorted and filtered", async ({ page }) => {
  await signUp(page.request, "Fiona Filters");
  const warm = await createStrategy(page.request, "Warm filter");
  const cold = await createStrategy(page.request, "Cold filter");
  await createClient(page.request, { name: "Warm lead", strategy_id: String(warm) });
  await createClient(page.request, { name: "Cold lead", strategy_id: String(cold) });

  // The filter is applied by the client-side router, which loads the list through its server
  // function (with the strategy id sent as text).
  await openHydrated(page, "/clients");
  await page.locator("#client-strategy").selectOption({ label: "Warm filter" });
  await expect(page).toHaveURL(new RegExp(`strategy=${warm}`));
  await expect(page.getByTestId("client-row")).toHaveCount(1);
  await expect(page.getByTestId("client-row")).toContainText("Warm lead");
  await page.getByRole("link", { name: "Name", exact: true }).click();
  await expect(page).toHaveURL(/sort=name/);
  await expect(page.getByTestId("client-row")).toHaveCount(1);
  await expect(page.getByTestId("client-row")).toContainText("Warm lead");

  await openHydrated(page, "/pipeline");
  await page.locator("#client-strategy").selectOption({ label: "Cold filter" });
  await expect(page).toHaveURL(new RegExp(`strategy=${cold}`));
  await expect(page.getByTestId("pipeline-card")).toHaveCount(1);
  await expect(page.getByTestId("pipeline-card")).toContainText("Cold lead");
});
