/**
 * Scoped to /ui/. A <video> element cannot send X-API-Key, so its range requests for
 * /video/input/{id} pass through here, and this worker adds the key it gets from the page that
 * made them. It keeps no key itself: the page (sessionStorage) is the one place the key lives.
 */
// The page's lib (DOM) types `self` as a Window; this file runs in the worker's scope.
const sw = globalThis as unknown as ServiceWorkerGlobalScope;

sw.addEventListener('install', () => void sw.skipWaiting());
sw.addEventListener('activate', (event) => event.waitUntil(sw.clients.claim()));

sw.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== sw.location.origin) return;
  if (!url.pathname.startsWith('/video/input/') || req.headers.has('x-api-key')) return;
  event.respondWith(withKey(req, event.clientId));
});

async function withKey(req: Request, clientId: string): Promise<Response> {
  const key = await keyFrom(clientId);
  if (!key) return fetch(req);
  const headers = new Headers(req.headers);
  headers.set('X-API-Key', key);
  return fetch(req.url, { headers, credentials: 'same-origin', cache: 'no-store' });
}

async function keyFrom(clientId: string): Promise<string | null> {
  const client = clientId ? await sw.clients.get(clientId) : undefined;
  if (!client) return null;
  const channel = new MessageChannel();
  const answer = new Promise<string | null>((resolve) => {
    channel.port1.onmessage = (e) => resolve(typeof e.data === 'string' ? e.data : null);
    // A page that does not answer (still loading its script) gets the request without a key: a 401.
    setTimeout(() => resolve(null), 2000);
  });
  client.postMessage({ type: 'api-key?' }, [channel.port2]);
  return answer;
}
