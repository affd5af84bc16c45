// The REST API as the token page uses it: one session (a temporary token held
// in this module's memory only, never in storage or a cookie), the calls the
// page makes, and the API's errors in words a person understands.

const API = "/api/v3/onezone";

// How long a session lasts: long enough for a visit, short enough that a
// token left in a forgotten tab soon stops working.
export const SESSION_SECONDS = 15 * 60;

// An API or network failure, with the message to show and the error id (or
// "network") for the page's decisions.
export class ApiError extends Error {
  constructor(message, id, status) {
    super(message);
    this.id = id;
    this.status = status;
  }
}

let sessionToken = null;
// The server's clock minus this device's (seconds), from the Date of the
// sign-in's first answer: expiry times are the server's, and a device whose
// clock is wrong must not make tokens expire early or be refused.
let clockOffset = 0;

function serverNow() {
  return Math.floor(Date.now() / 1000 + clockOffset);
}

export function signedIn() {
  return sessionToken !== null;
}

export function forgetSession() {
  sessionToken = null;
}

// Sends one request. credentials "omit": the page never uses cookies, and a
// 401 to an omitted-credentials request cannot make the browser ask for a
// password in its own dialog (the API answers 401 with WWW-Authenticate:
// Basic, as the seed documents' curl clients expect).
async function call(method, path, { body, auth } = {}) {
  const headers = { Accept: "application/json" };
  if (auth) {
    headers.Authorization = auth;
  } else if (sessionToken !== null) {
    headers["X-Auth-Token"] = sessionToken;
  }
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(API + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
      redirect: "error",
    });
  } catch {
    throw new ApiError(
      "The server cannot be reached. Check your connection and try again.",
      "network", 0);
  }
  const text = await response.text();
  let json = null;
  if (text !== "") {
    try {
      json = JSON.parse(text);
    } catch {
      json = null;
    }
  }
  if (!response.ok) throw errorOf(response, json);
  return { json, response };
}

// What a person should read for an API error. Errors this page can cause
// get their own words; any other keeps the server's description.
function errorOf(response, json) {
  const error = json && json.error ? json.error : {};
  const id = error.id || "http" + response.status;
  const details = error.details || {};
  const auth = details.authError && details.authError.id;
  let message;
  switch (id) {
    case "unauthorized":
      message = sessionToken === null
        ? "The user name or password is not right."
        : "Your session has ended. Sign in again.";
      if (auth === "tokenRevoked" || auth === "tokenInvalid") {
        message = "Your session has ended. Sign in again.";
      }
      break;
    case "tooManyRequests":
    case "http429": {
      const wait = response.headers.get("Retry-After");
      message = "Too many failed sign-ins for this user. " +
        (wait ? "Wait " + wait + " seconds, then try again." : "Wait a minute, then try again.");
      break;
    }
    case "badValueIdentifierOccupied":
      message = "You already have a token with this name. Choose another name.";
      break;
    case "badValueCaveat":
      message = "The allowed addresses are not valid. Write IP addresses or " +
        "ranges such as 192.0.2.7 or 10.0.0.0/8, separated by spaces.";
      break;
    case "badValueName":
      message = "That name cannot be used. " + (error.description || "");
      break;
    case "missingRequiredValue":
      message = details.key === "name" ? "Give the token a name."
        : "Something required is missing: " + (error.description || id);
      break;
    case "notFound":
    case "http404":
      message = "That token no longer exists. The list has been refreshed.";
      break;
    case "forbidden":
      message = "You are not allowed to do that.";
      break;
    case "serviceUnavailable":
    case "http502":
    case "http503":
    case "http504":
      message = "The token service is unavailable right now. Try again in a moment.";
      break;
    default:
      message = error.description || ("The server answered " + response.status + ".");
  }
  return new ApiError(message, id, response.status);
}

// Exchanges the password once for a temporary access token that expires
// after SESSION_SECONDS of server time.
export async function signIn(username, password) {
  const { response } = await call("GET", "/health");
  const serverDate = Date.parse(response.headers.get("Date")) / 1000;
  clockOffset = Number.isFinite(serverDate) ? serverDate - Date.now() / 1000 : 0;
  const bytes = new TextEncoder().encode(username + ":" + password);
  const basic = "Basic " + btoa(String.fromCharCode(...bytes));
  const { json } = await call("POST", "/user/tokens/temporary", {
    auth: basic,
    body: {
      type: { accessToken: {} },
      caveats: [{ type: "time", validUntil: serverNow() + SESSION_SECONDS }],
    },
  });
  sessionToken = json.token;
  const user = await call("GET", "/user");
  return user.json;
}

// The caller's named tokens, newest first, each as GET /tokens/named/{id}
// gives it. A token deleted between the two calls is left out.
export async function listTokens() {
  const { json } = await call("GET", "/user/tokens/named");
  const ids = json.tokens || [];
  const tokens = [];
  // A few at a time: a long list must not open dozens of requests at once.
  for (let start = 0; start < ids.length; start += 8) {
    const batch = ids.slice(start, start + 8).map((id) =>
      call("GET", "/tokens/named/" + encodeURIComponent(id))
        .then((reply) => reply.json)
        .catch((error) => {
          if (error.status === 404) return null;
          throw error;
        }));
    tokens.push(...(await Promise.all(batch)));
  }
  return tokens
    .filter((token) => token !== null)
    .sort((a, b) => (b.metadata.creationTime - a.metadata.creationTime) ||
      a.name.localeCompare(b.name));
}

// Creates an access token; returns { tokenId, token }.
export async function createToken(name, lifetimeSeconds, addresses) {
  const caveats = [];
  if (lifetimeSeconds > 0) {
    caveats.push({ type: "time", validUntil: serverNow() + lifetimeSeconds });
  }
  if (addresses.length > 0) caveats.push({ type: "ip", whitelist: addresses });
  const { json } = await call("POST", "/user/tokens/named", {
    body: { name, type: { accessToken: {} }, caveats },
  });
  return json;
}

export async function setRevoked(id, revoked) {
  await call("PATCH", "/tokens/named/" + encodeURIComponent(id), { body: { revoked } });
}

export async function deleteToken(id) {
  await call("DELETE", "/tokens/named/" + encodeURIComponent(id));
}
