// The token page's screens: sign in, the token list with its actions, the
// create form and the one-time display of a new token. Everything the page
// writes into the document goes in as text (textContent), never as HTML, so a
// token name cannot inject markup.

import * as api from "./api.js";

const $ = (id) => document.getElementById(id);

const screens = { signIn: $("sign-in-screen"), tokens: $("tokens-screen") };
let tokensById = new Map();
// The token a delete dialog asks about.
let pendingDelete = null;

// --- messages -------------------------------------------------------------

function say(text) {
  $("alert").hidden = true;
  $("status").textContent = text;
}

function complain(error) {
  const text = error instanceof api.ApiError ? error.message
    : "Something went wrong in this page: " + error;
  $("status").textContent = "";
  $("alert").textContent = text;
  $("alert").hidden = false;
  if (error instanceof api.ApiError && error.id === "unauthorized" && api.signedIn()) {
    // The session token expired or was revoked: back to signing in.
    signOut(text);
  } else if (error instanceof api.ApiError && error.id === "notFound" && api.signedIn()) {
    // A token deleted elsewhere (or expired): the list drops it, as the
    // message says.
    refreshList().catch(() => {});
  }
}

// Runs `action` with `button` disabled, showing any error it throws.
async function busy(button, action) {
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    await action();
  } catch (error) {
    complain(error);
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

// --- screens --------------------------------------------------------------

function show(screen) {
  screens.signIn.hidden = screen !== screens.signIn;
  screens.tokens.hidden = screen !== screens.tokens;
  $("session").hidden = screen !== screens.tokens;
}

function signOut(message) {
  api.forgetSession();
  tokensById = new Map();
  $("token-list").replaceChildren();
  hideCreated();
  $("session-user").textContent = "";
  $("sign-in-password").value = "";
  show(screens.signIn);
  if (message) {
    $("alert").textContent = message;
    $("alert").hidden = false;
    $("status").textContent = "";
  } else {
    say("You are signed out.");
  }
  $("sign-in-user").focus();
}

// --- formatting -----------------------------------------------------------

const dateFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: "medium", timeStyle: "short",
});

function when(seconds) {
  return dateFormat.format(new Date(seconds * 1000));
}

function typeName(type) {
  if (type.accessToken) return "Access";
  if (type.identityToken) return "Identity";
  if (type.inviteToken) return "Invitation (" + type.inviteToken.inviteType + ")";
  return Object.keys(type)[0] || "Unknown";
}

// The server lists no expired token, so this is always a time to come.
function expiryOf(token) {
  const times = token.caveats.filter((c) => c.type === "time").map((c) => c.validUntil);
  return times.length === 0 ? "Never" : when(Math.min(...times));
}

function addressesOf(token) {
  const lists = token.caveats.filter((c) => c.type === "ip").map((c) => c.whitelist.join(", "));
  return lists.length === 0 ? "Any" : lists.join("; and ");
}

function lastUsedOf(token) {
  const used = token.metadata.lastUsed;
  if (!used) return "Never";
  const from = token.metadata.lastUsedIp;
  return when(used) + (from ? " from " + from : "");
}

// --- the token list -------------------------------------------------------

function renderToken(token) {
  const item = $("token-item").content.firstElementChild.cloneNode(true);
  item.dataset.tokenId = token.id;
  item.querySelector(".token-name").textContent = token.name;
  const fields = {
    type: typeName(token.type),
    state: token.revoked ? "Revoked" : "Active",
    created: when(token.metadata.creationTime),
    expires: expiryOf(token),
    "last-used": lastUsedOf(token),
    ips: addressesOf(token),
  };
  for (const [field, text] of Object.entries(fields)) {
    item.querySelector(`[data-field="${field}"]`).textContent = text;
  }
  item.classList.toggle("revoked", token.revoked);
  const toggle = item.querySelector('[data-action="toggle-revoked"]');
  toggle.textContent = token.revoked ? "Restore" : "Revoke";
  toggle.setAttribute("aria-label", (token.revoked ? "Restore token " : "Revoke token ") + token.name);
  toggle.classList.toggle("secondary", token.revoked);
  item.querySelector('[data-action="delete"]').setAttribute("aria-label", "Delete token " + token.name);
  return item;
}

async function refreshList() {
  const tokens = await api.listTokens();
  tokensById = new Map(tokens.map((token) => [token.id, token]));
  $("token-list").replaceChildren(...tokens.map(renderToken));
  $("list-empty").hidden = tokens.length !== 0;
}

// After an action on a token, focus goes back to its row's button of the same
// action, or to the list's heading when the row is gone, never to the page's
// start.
function focusAfter(id, action) {
  const row = [...$("token-list").children].find((item) => item.dataset.tokenId === id);
  const target = row ? row.querySelector(`[data-action="${action}"]`) : $("list-title");
  if (target === $("list-title")) target.tabIndex = -1;
  target.focus();
}

async function toggleRevoked(token, button) {
  await busy(button, async () => {
    await api.setRevoked(token.id, !token.revoked);
    await refreshList();
    say(token.revoked ? `Token “${token.name}” works again.`
      : `Token “${token.name}” is revoked: it is refused until you restore it.`);
    focusAfter(token.id, "toggle-revoked");
  });
}

function askDelete(token) {
  pendingDelete = token;
  $("delete-name").textContent = token.name;
  $("delete-dialog").showModal();
  $("delete-cancel").focus();
}

async function finishDelete() {
  const token = pendingDelete;
  pendingDelete = null;
  if (!token || $("delete-dialog").returnValue !== "delete") {
    if (token) focusAfter(token.id, "delete");
    return;
  }
  try {
    await api.deleteToken(token.id);
    say(`Token “${token.name}” is deleted.`);
  } catch (error) {
    complain(error);
  }
  try {
    await refreshList();
  } catch (error) {
    complain(error);
  }
  focusAfter(token.id, "delete");
}

// --- creating a token -------------------------------------------------------

function hideCreated() {
  $("created-token").value = "";
  $("created-name").textContent = "";
  $("created").hidden = true;
}

function addressesIn(text) {
  return text.split(/[\s,]+/).filter((part) => part !== "");
}

async function create(event) {
  event.preventDefault();
  const name = $("create-name").value.trim();
  if (name === "") {
    complain(new api.ApiError("Give the token a name.", "missingRequiredValue", 0));
    $("create-name").focus();
    return;
  }
  await busy($("create-submit"), async () => {
    const created = await api.createToken(name, Number($("create-lifetime").value),
      addressesIn($("create-ips").value));
    $("created-name").textContent = name;
    $("created-token").value = created.token;
    $("created").hidden = false;
    $("create-form").reset();
    say(`Token “${name}” created. Copy it now: it is shown only this once.`);
    $("created-token").focus();
    $("created-token").select();
    await refreshList();
  });
}

async function copyToken() {
  const field = $("created-token");
  try {
    await navigator.clipboard.writeText(field.value);
    say("Token copied to the clipboard.");
  } catch {
    // No clipboard access (an older browser, or permission refused): leave
    // it selected for the person to copy.
    field.focus();
    field.select();
    say("Copying is not allowed here: the token is selected, press Ctrl+C (or ⌘C) to copy it.");
  }
}

// --- signing in -------------------------------------------------------------

async function signIn(event) {
  event.preventDefault();
  const username = $("sign-in-user").value.trim();
  const password = $("sign-in-password").value;
  if (username === "" || password === "") {
    complain(new api.ApiError("Enter your user name and password.", "missingRequiredValue", 0));
    (username === "" ? $("sign-in-user") : $("sign-in-password")).focus();
    return;
  }
  await busy($("sign-in-submit"), async () => {
    let user;
    try {
      user = await api.signIn(username, password);
    } finally {
      $("sign-in-password").value = "";
    }
    $("session-user").textContent = user.name || username;
    show(screens.tokens);
    say("Signed in.");
    await refreshList();
    $("tokens-title").tabIndex = -1;
    $("tokens-title").focus();
  });
}

// --- wiring -----------------------------------------------------------------

$("sign-in-form").addEventListener("submit", signIn);
$("sign-out").addEventListener("click", () => signOut());
$("create-form").addEventListener("submit", create);
$("copy-token").addEventListener("click", copyToken);
$("created-done").addEventListener("click", () => {
  hideCreated();
  say("The new token is hidden.");
  $("create-name").focus();
});
$("refresh").addEventListener("click", (event) =>
  busy(event.currentTarget, async () => {
    await refreshList();
    say("The list is up to date.");
  }));
$("token-list").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-action]");
  if (!button) return;
  const token = tokensById.get(button.closest("li").dataset.tokenId);
  if (!token) return;
  if (button.dataset.action === "toggle-revoked") toggleRevoked(token, button);
  if (button.dataset.action === "delete") askDelete(token);
});
$("delete-dialog").addEventListener("close", finishDelete);
show(screens.signIn);
