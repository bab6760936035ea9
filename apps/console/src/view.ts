/** A page of the console; close() stops its timers before the next page replaces it. */
export interface View {
  close(): void;
}

/**
 * Resolves once the service worker controls this page (so the <video>'s requests carry the key),
 * or at once where there is none: open services need no key, and the page works without it.
 */
export const workerReady: Promise<void> = (async () => {
  if (!('serviceWorker' in navigator)) return;
  try {
    await navigator.serviceWorker.register('sw.js', { scope: './' });
    if (navigator.serviceWorker.controller) return;
    await new Promise<void>((resolve) => {
      navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true });
      setTimeout(resolve, 5000);
    });
  } catch {
    // Without a worker the video of a keyed service answers 401, which the job page explains.
  }
})();
