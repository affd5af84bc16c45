// The token page in a real browser: Debian's chromium, headless, driven by
// playwright-core through the whole flow against a running stack, with
// axe-core's accessibility check on each screen and a screenshot of each
// under OUT_DIR. tests/browser/run.py starts the stack and the users and runs
// this with:
//   BASE_URL   https://127.0.0.1:PORT
//   USER_NAME, USER_PASSWORD   a user with no tokens
//   OUT_DIR    where the screenshots go
// Prints "PASS name" or "FAIL name: why" per check, and ends with
// "browser: N passed, N failed".

import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium, request } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const BASE = process.env.BASE_URL;
const USER = process.env.USER_NAME;
const PASSWORD = process.env.USER_PASSWORD;
const OUT = process.env.OUT_DIR;
const API = BASE + "/api/v3/onezone";
// Generous: CI machines are busy, and under ASan the daemon is slow. Every
// wait is for a condition; nothing here asserts how long anything takes.
const WAIT_MS = 30000;

let passed = 0;
let failed = 0;
let shots = 0;

class CheckFailed extends Error {}

function expect(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

async function step(name, body) {
  try {
    await body();
    passed += 1;
    console.log("PASS " + name);
  } catch (error) {
    failed += 1;
    const why = error instanceof CheckFailed ? error.message : (error.stack || String(error));
    console.log("FAIL " + name + ": " + why.split("\n").slice(0, 6).join("\n    "));
  }
}

// --- the page's parts ---------------------------------------------------------

async function screenshot(page, name) {
  shots += 1;
  const file = `${OUT}/${String(shots).padStart(2, "0")}-${name}.png`;
  await page.screenshot({ path: file, fullPage: true });
}

// axe-core's WCAG 2 A/AA rules on the page as it is now; fails on a serious
// or critical violation. Evaluated through the DevTools protocol, which the
// page's CSP does not govern (the page itself may run no injected script).
async function checkAccessibility(page, screen) {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
  }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(bad.length === 0, `${screen}: ` + bad.map((v) =>
    `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`).join("; "));
  expect(result.passes.length > 0, `${screen}: axe checked nothing`);
}

async function visibleText(page, selector) {
  const locator = page.locator(selector);
  await locator.waitFor({ state: "visible", timeout: WAIT_MS });
  return (await locator.textContent()).trim();
}

async function waitForText(page, selector, text) {
  await page.locator(selector, { hasText: text }).first().waitFor({ state: "visible", timeout: WAIT_MS });
}

function row(page, name) {
  return page.locator("#token-list > li", { has: page.locator(".token-name", { hasText: name }) });
}

async function field(page, name, key) {
  return (await row(page, name).locator(`[data-field="${key}"]`).textContent()).trim();
}

// Presses Tab until the focused element matches `test(arg)` (at most 80
// times); returns whether it got there. Proves an element is reachable by
// keyboard.
async function tabTo(page, test, arg) {
  for (let i = 0; i < 80; i += 1) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(test, arg)) return true;
  }
  return false;
}

async function storageIsEmpty(page, context) {
  const stored = await page.evaluate(() => ({
    local: localStorage.length, session: sessionStorage.length, cookie: document.cookie,
  }));
  const cookies = await context.cookies();
  return stored.local === 0 && stored.session === 0 && stored.cookie === "" && cookies.length === 0;
}

// --- the API, as another client would use it ----------------------------------

async function apiStatus(api, token) {
  const response = await api.get(API + "/user", { headers: { "X-Auth-Token": token } });
  return response.status();
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    // The flags this machine needs (see the env notes): no sandbox as root,
    // and none of chromium's own network traffic, which the closed network
    // refuses.
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const context = await browser.newContext({
    ignoreHTTPSErrors: true, // the stack's self-signed certificate
    viewport: { width: 1100, height: 800 },
  });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: BASE });
  const api = await request.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const consoleProblems = [];
  page.on("console", (message) => {
    // A failed request's own line ("Failed to load resource: ... 401") is
    // the API answering as it should; anything else, a CSP refusal above
    // all, is a fault of the page.
    if (message.type() === "error" && !/Failed to load resource/.test(message.text())) {
      consoleProblems.push(message.text());
    }
  });
  page.on("pageerror", (error) => consoleProblems.push("uncaught: " + error.message));

  let token = null; // the token created in the page
  const NAME = "ci laptop";

  await step("the page is served with a strict CSP and the security headers", async () => {
    const response = await page.goto(BASE + "/", { waitUntil: "load" });
    expect(response.status() === 200, "GET / answered " + response.status());
    const headers = response.headers();
    const csp = headers["content-security-policy"] || "";
    expect(/script-src 'self'(;|$)/.test(csp) && !/unsafe-inline|unsafe-eval/.test(csp),
      "CSP: " + csp);
    expect(/default-src 'none'/.test(csp) && /frame-ancestors 'none'/.test(csp), "CSP: " + csp);
    expect(headers["x-content-type-options"] === "nosniff", "no nosniff");
    expect(headers["x-frame-options"] === "DENY", "no X-Frame-Options");
    expect(headers["referrer-policy"] === "no-referrer", "no Referrer-Policy");
    expect(/max-age=\d+/.test(headers["strict-transport-security"] || ""), "no HSTS");
    await page.locator("#sign-in-user").waitFor({ state: "visible", timeout: WAIT_MS });
    await screenshot(page, "sign-in");
  });

  await step("the sign-in screen passes axe-core", () => checkAccessibility(page, "sign-in"));

  await step("a wrong password is refused in words", async () => {
    await page.fill("#sign-in-user", USER);
    await page.fill("#sign-in-password", "not the password");
    await page.click("#sign-in-submit");
    const text = await visibleText(page, "#alert");
    expect(/user name or password is not right/.test(text), "alert: " + text);
    expect(await page.locator("#tokens-screen").isHidden(), "the token list is shown");
    expect(await page.inputValue("#sign-in-password") === "", "the password stays in the form");
    await screenshot(page, "sign-in-refused");
  });

  await step("sign in with the keyboard alone; the session token is kept in no storage", async () => {
    await page.goto(BASE + "/", { waitUntil: "load" });
    await page.locator("#sign-in-user").waitFor({ state: "visible", timeout: WAIT_MS });
    expect(await tabTo(page, () => document.activeElement.id === "sign-in-user"),
      "Tab never reached the user name field");
    await page.keyboard.type(USER);
    await page.keyboard.press("Tab");
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press("Enter");
    await page.locator("#tokens-screen").waitFor({ state: "visible", timeout: WAIT_MS });
    expect(await visibleText(page, "#session-user") === USER, "not shown as signed in");
    await page.waitForFunction(() => document.activeElement.id === "tokens-title", null, { timeout: WAIT_MS });
    expect(await storageIsEmpty(page, context), "something was put in storage or a cookie");
  });

  await step("an empty list says so, and passes axe-core", async () => {
    await visibleText(page, "#list-empty");
    await screenshot(page, "empty-list");
    await checkAccessibility(page, "empty list");
  });

  await step("create a token with a name, a lifetime and addresses; shown once, copied, and it works", async () => {
    await page.fill("#create-name", NAME);
    await page.selectOption("#create-lifetime", "604800");
    await page.fill("#create-ips", "127.0.0.1, 10.0.0.0/8");
    await page.click("#create-submit");
    await page.locator("#created").waitFor({ state: "visible", timeout: WAIT_MS });
    token = await page.inputValue("#created-token");
    expect(token.length > 40, "no token shown");
    expect(/only time\s+the token is shown/.test(await page.textContent("#created")), "no warning");
    await screenshot(page, "token-created");
    await checkAccessibility(page, "token created");
    await page.click("#copy-token");
    await waitForText(page, "#status", "copied");
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied === token, "the clipboard holds something else");
    expect(await apiStatus(api, token) === 200, "the new token is refused by the API");
    expect(await storageIsEmpty(page, context), "the new token was put in storage");
  });

  await step("Done hides the token for good", async () => {
    await page.click("#created-done");
    await page.locator("#created").waitFor({ state: "hidden", timeout: WAIT_MS });
    expect(await page.inputValue("#created-token") === "", "the token is still in the page");
    const html = await page.content();
    expect(!html.includes(token), "the token is still in the document");
  });

  await step("the list shows name, type, state, creation, expiry, last use and its address", async () => {
    await row(page, NAME).waitFor({ state: "visible", timeout: WAIT_MS });
    expect(await field(page, NAME, "type") === "Access", "type");
    expect(await field(page, NAME, "state") === "Active", "state");
    expect(/\d/.test(await field(page, NAME, "created")), "created");
    expect(/\d/.test(await field(page, NAME, "expires")), "expires");
    expect((await field(page, NAME, "ips")).includes("10.0.0.0/8"), "addresses");
    // The daemon writes last use every named_token_use_flush_seconds (1 in
    // this stack): refresh until it shows, within the deadline.
    const deadline = Date.now() + WAIT_MS;
    let used = await field(page, NAME, "last-used");
    while (!/from 127\.0\.0\.1/.test(used) && Date.now() < deadline) {
      await page.click("#refresh");
      await waitForText(page, "#status", "up to date");
      used = await field(page, NAME, "last-used");
      await page.evaluate(() => { document.getElementById("status").textContent = ""; });
    }
    expect(/from 127\.0\.0\.1/.test(used), "last used: " + used);
  });

  await step("errors from the API are shown in words: a name taken, an address that is not one", async () => {
    await page.fill("#create-name", NAME);
    await page.click("#create-submit");
    expect(/already have a token with this name/.test(await visibleText(page, "#alert")), "name taken");
    await page.fill("#create-name", "other");
    await page.fill("#create-ips", "not-an-address");
    await page.click("#create-submit");
    await waitForText(page, "#alert", "addresses are not valid");
    await screenshot(page, "create-refused");
    await page.fill("#create-ips", "");
    await page.fill("#create-name", "build server");
    await page.selectOption("#create-lifetime", "0");
    await page.click("#create-submit");
    await page.locator("#created").waitFor({ state: "visible", timeout: WAIT_MS });
    await page.click("#created-done");
    await row(page, "build server").waitFor({ state: "visible", timeout: WAIT_MS });
    expect(await field(page, "build server", "expires") === "Never", "no-expiry token");
    await screenshot(page, "token-list");
    await checkAccessibility(page, "token list");
  });

  await step("a token revoked in the page (by keyboard) is refused by the API at once", async () => {
    await page.locator("#tokens-title").focus();
    const reached = await tabTo(page, (label) =>
      document.activeElement.getAttribute("aria-label") === label, "Revoke token " + NAME);
    expect(reached, "Tab never reached the revoke button");
    await page.keyboard.press("Enter");
    await page.waitForFunction((name) => [...document.querySelectorAll("#token-list > li")]
      .some((li) => li.querySelector(".token-name").textContent === name &&
        li.querySelector('[data-field="state"]').textContent === "Revoked"), NAME, { timeout: WAIT_MS });
    await screenshot(page, "token-revoked");
    const response = await api.get(API + "/user", { headers: { "X-Auth-Token": token } });
    expect(response.status() === 401, "the API answered " + response.status());
    const body = await response.json();
    expect(body.error.details.authError.id === "tokenRevoked", "error: " + JSON.stringify(body));
  });

  await step("restore it, and the API accepts it again", async () => {
    await row(page, NAME).getByRole("button", { name: "Restore token " + NAME }).click();
    await page.waitForFunction((name) => [...document.querySelectorAll("#token-list > li")]
      .some((li) => li.querySelector(".token-name").textContent === name &&
        li.querySelector('[data-field="state"]').textContent === "Active"), NAME, { timeout: WAIT_MS });
    expect(await apiStatus(api, token) === 200, "restored token refused");
  });

  await step("the token list fits a phone's width", async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await page.waitForFunction(() => document.documentElement.scrollWidth <= 360, null, { timeout: WAIT_MS })
      .catch(() => {});
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width <= 360, "the page is " + width + " px wide at 360");
    await screenshot(page, "phone-width");
    await checkAccessibility(page, "phone width");
    await page.setViewportSize({ width: 1100, height: 800 });
  });

  await step("delete asks first; Escape keeps the token, Delete removes it and the API refuses it", async () => {
    await row(page, NAME).getByRole("button", { name: "Delete token " + NAME }).click();
    await page.locator("#delete-dialog").waitFor({ state: "visible", timeout: WAIT_MS });
    await screenshot(page, "delete-dialog");
    await checkAccessibility(page, "delete dialog");
    await page.keyboard.press("Escape");
    await page.locator("#delete-dialog").waitFor({ state: "hidden", timeout: WAIT_MS });
    expect(await row(page, NAME).count() === 1, "Escape deleted it");
    expect(await apiStatus(api, token) === 200, "Escape broke the token");
    await row(page, NAME).getByRole("button", { name: "Delete token " + NAME }).click();
    await page.locator("#delete-dialog").waitFor({ state: "visible", timeout: WAIT_MS });
    await page.click("#delete-confirm");
    await row(page, NAME).waitFor({ state: "detached", timeout: WAIT_MS });
    await waitForText(page, "#status", "is deleted");
    expect(await apiStatus(api, token) === 401, "the deleted token still works");
  });

  await step("a token deleted elsewhere: acting on it says so in words and drops it from the list", async () => {
    // "build server" is deleted through the API behind the page's back.
    const id = await row(page, "build server").getAttribute("data-token-id");
    const basic = "Basic " + Buffer.from(USER + ":" + PASSWORD).toString("base64");
    const response = await api.delete(API + "/tokens/named/" + id, { headers: { Authorization: basic } });
    expect(response.status() === 204, "DELETE answered " + response.status());
    await row(page, "build server").getByRole("button", { name: "Revoke token build server" }).click();
    await waitForText(page, "#alert", "no longer exists");
    await row(page, "build server").waitFor({ state: "detached", timeout: WAIT_MS });
    expect(await page.locator("#sign-in-screen").isHidden(), "signed out by a 404");
  });

  await step("a session ended elsewhere leads back to signing in, with why", async () => {
    // Revoking the user's temporary tokens (as another client may) ends this
    // page's session.
    const basic = "Basic " + Buffer.from(USER + ":" + PASSWORD).toString("base64");
    const response = await api.delete(API + "/user/tokens/temporary", { headers: { Authorization: basic } });
    expect(response.status() === 204, "DELETE temporary answered " + response.status());
    await page.click("#refresh");
    await page.locator("#sign-in-screen").waitFor({ state: "visible", timeout: WAIT_MS });
    expect(/session has ended/.test(await visibleText(page, "#alert")), "no reason given");
    expect(await page.locator("#token-list > li").count() === 0, "the list is still in the page");
    await screenshot(page, "session-ended");
  });

  await step("sign out forgets the session and the list", async () => {
    await page.fill("#sign-in-user", USER);
    await page.fill("#sign-in-password", PASSWORD);
    await page.click("#sign-in-submit");
    await page.locator("#tokens-screen").waitFor({ state: "visible", timeout: WAIT_MS });
    await page.locator("#list-empty").waitFor({ state: "visible", timeout: WAIT_MS });
    await page.click("#sign-out");
    await page.locator("#sign-in-screen").waitFor({ state: "visible", timeout: WAIT_MS });
    expect(await page.locator("#token-list > li").count() === 0, "the list is still in the page");
    expect(await page.locator("#tokens-screen").isHidden(), "the list screen is shown");
    expect(await storageIsEmpty(page, context), "storage not empty");
    await screenshot(page, "signed-out");
  });

  await step("no CSP refusal or script error in the browser's console", async () => {
    expect(consoleProblems.length === 0, consoleProblems.join(" | "));
  });

  await api.dispose();
  await browser.close();
}

try {
  await main();
} catch (error) {
  failed += 1;
  console.log("FAIL the browser run: " + (error.stack || error));
}
console.log(`browser: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
