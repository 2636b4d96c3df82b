// Preloaded into the conformance suite (node --import): every request it sends to Latchkey's
// listener carries `Authorization: Bearer $LATCHKEY_HTTP_TOKEN`. The suite has no option for
// a header, and Latchkey answers 401 to requests without a token. Requests elsewhere (the
// suite's own fixture servers) are left alone; Host and Origin are never touched, so the
// DNS-rebinding scenario still sends what it means to.
import { Agent, setGlobalDispatcher } from 'undici';

const token = process.env.LATCHKEY_HTTP_TOKEN;
const target = new URL(process.env.LATCHKEY_HTTP_URL).origin;
if (!token) throw new Error('bearer.mjs: LATCHKEY_HTTP_TOKEN is not set');
const bearer = `Bearer ${token}`;

const ours = (origin) => origin !== undefined && new URL(String(origin)).origin === target;

// Headers as undici passes them: an object, a flat [name, value, …] array, or absent.
function withBearer(headers) {
  if (headers == null) return { authorization: bearer };
  if (Array.isArray(headers)) {
    const flat = headers.flat();
    const has = flat.some((h, i) => i % 2 === 0 && String(h).toLowerCase() === 'authorization');
    return has ? headers : [...flat, 'authorization', bearer];
  }
  const has = Object.keys(headers).some((h) => h.toLowerCase() === 'authorization');
  return has ? headers : { ...headers, authorization: bearer };
}

// undici's own request() (the DNS-rebinding scenario) goes through the global dispatcher.
setGlobalDispatcher(
  new Agent().compose((dispatch) => (opts, handler) =>
    dispatch(ours(opts.origin) ? { ...opts, headers: withBearer(opts.headers) } : opts, handler)),
);

// fetch (the MCP SDK's transport, the stateless scenarios).
const fetch = globalThis.fetch;
globalThis.fetch = (input, init = {}) => {
  const url = input instanceof Request ? input.url : String(input);
  if (!ours(url)) return fetch(input, init);
  const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
  if (!headers.has('authorization')) headers.set('authorization', bearer);
  return fetch(input, { ...init, headers });
};
