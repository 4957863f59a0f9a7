// The AWS SDK for JavaScript v3 default credential chain as a test oracle.
//
//   node tests/js/chain.mjs KEYMAP.json
//
// Runs defaultProvider() from @aws-sdk/credential-provider-node in the
// current environment, exactly as an application's client would, and prints
// one JSON line on stdout:
//
//   {"source": "env", "features": ["CREDENTIALS_ENV_VARS"], "error": null}
//   {"source": "none", "features": [], "error": {"name": ..., "message": ...}}
//
// The source is told by the access key id the chain returned: every place
// credentials can come from in a test gets a unique key id, and KEYMAP.json
// maps each to a botocore source name ({"keys": {id: source}}). A key id
// that only starts with a mapped one was derived from it (the fake STS
// issues "<its key>X<n>"): it is "assume-role-with-web-identity" when the SDK
// marked the credentials as coming from a web identity token, "assume-role"
// otherwise. Nothing secret is printed: no key id, no token, no secret; the
// error message is printed for the test to read, and the test checks it
// holds no planted secret.
//
// Run it only inside a network namespace that holds nothing but loopback:
// the chain asks instance metadata and STS.

import { readFileSync } from "node:fs";
import { defaultProvider } from "@aws-sdk/credential-provider-node";

const WEB_IDENTITY = new Set([
  "CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN",
  "CREDENTIALS_PROFILE_STS_WEB_ID_TOKEN",
]);
const GIVE_UP_MS = Number(process.env.ROLEPROBE_ORACLE_GIVE_UP_MS || 30000);

function sourceOf(accessKeyId, features, keys) {
  if (Object.hasOwn(keys, accessKeyId)) {
    return keys[accessKeyId];
  }
  let best = "";
  for (const known of Object.keys(keys)) {
    if (accessKeyId.startsWith(known) && known.length > best.length) {
      best = known;
    }
  }
  if (!best) {
    return "unknown";
  }
  if (keys[best] !== "sts") {
    return `unknown-derived-from-${keys[best]}`;
  }
  return features.some((f) => WEB_IDENTITY.has(f))
    ? "assume-role-with-web-identity"
    : "assume-role";
}

function describe(err) {
  if (err === null || typeof err !== "object") {
    return { name: typeof err, message: String(err), tryNextLink: null };
  }
  const out = {
    name: String(err.name ?? err.constructor?.name ?? "Error"),
    tryNextLink: typeof err.tryNextLink === "boolean" ? err.tryNextLink : null,
  };
  if (err.$metadata !== undefined) {
    // An AWS service's answer: its message is the server's text, not ours.
    out.status = err.$metadata.httpStatusCode ?? null;
  } else {
    out.message = String(err.message ?? "").slice(0, 300);
  }
  return out;
}

async function main() {
  const keys = JSON.parse(readFileSync(process.argv[2], "utf8")).keys;
  const started = Date.now();
  let timer;
  const giveUp = new Promise((_, reject) => {
    timer = setTimeout(() => {
      const e = new Error(`the chain did not settle in ${GIVE_UP_MS} ms`);
      e.name = "OracleTimeout";
      reject(e);
    }, GIVE_UP_MS);
  });
  let out;
  try {
    const credentials = await Promise.race([defaultProvider()(), giveUp]);
    const features = Object.keys(credentials.$source ?? {});
    out = {
      source: sourceOf(credentials.accessKeyId, features, keys),
      features,
      error: null,
    };
  } catch (err) {
    out = { source: "none", features: [], error: describe(err) };
  } finally {
    clearTimeout(timer);
  }
  out.elapsed_ms = Date.now() - started;
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main();
// Sockets or timers the SDK left behind must not keep the oracle alive.
process.exit(0);
