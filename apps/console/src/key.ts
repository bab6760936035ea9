/**
 * The API key: asked for when the API answers 401, kept in sessionStorage (this tab only, gone when
 * it closes) and handed to the service worker when it asks (the <video> element cannot send headers).
 */
const STORAGE_KEY = 'video-jobs.api-key';

export const keyStore = {
  get: (): string | null => sessionStorage.getItem(STORAGE_KEY),
  set: (key: string) => sessionStorage.setItem(STORAGE_KEY, key),
  clear: () => sessionStorage.removeItem(STORAGE_KEY),
};

let pending: Promise<void> | undefined;

/** Shows the key dialog; resolves once a key is entered. Concurrent 401s share one prompt. */
export function askForKey(message: string): Promise<void> {
  if (pending) return pending;
  const dialog = document.getElementById('key-dialog') as HTMLDialogElement;
  const form = document.getElementById('key-form') as HTMLFormElement;
  const input = document.getElementById('key-input') as HTMLInputElement;
  (document.getElementById('key-message') as HTMLElement).textContent = message;
  input.value = '';
  pending = new Promise<void>((resolve) => {
    const onSubmit = () => {
      const key = input.value.trim();
      if (!key) return;
      keyStore.set(key);
      form.removeEventListener('submit', onSubmit);
      pending = undefined;
      resolve();
    };
    form.addEventListener('submit', onSubmit);
    // Escape would leave every waiting request hanging: keep the dialog until a key is given.
    dialog.addEventListener('cancel', (e) => e.preventDefault(), { once: true });
  });
  if (!dialog.open) dialog.showModal();
  input.focus();
  return pending;
}

/** The header button: change or forget the key without waiting for a 401. */
export function wireKeyButton(): void {
  const dialog = document.getElementById('key-dialog') as HTMLDialogElement;
  document.getElementById('key-button')!.addEventListener('click', () => {
    void askForKey(keyStore.get() ? 'Replace the key this tab uses.' : 'Enter the key this tab should use.').then(() =>
      location.reload(),
    );
  });
  document.getElementById('key-forget')!.addEventListener('click', () => {
    keyStore.clear();
    dialog.close();
    location.reload();
  });
}

/** Answers the service worker's "which key?" on the port it sends. */
export function answerWorkerKeyRequests(): void {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.addEventListener('message', (e: MessageEvent) => {
    if ((e.data as { type?: string } | null)?.type === 'api-key?' && e.ports[0]) e.ports[0].postMessage(keyStore.get());
  });
  navigator.serviceWorker.startMessages();
}
