/** @file `fileURLToPath` for the browser bundle: a page has no file: URLs, so other URLs pass through. */
export function fileURLToPath(url: string | URL): string {
  const href = String(url);
  return href.startsWith('file://') ? decodeURIComponent(new URL(href).pathname) : href;
}
