/**
 * Saves a file the renderer made, in both hosts: a download (the browser's save; in Electron,
 * its download handling), as the graph and flow exports do.
 */
export function download(name: string, url: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/** Saves `text` as a file named `name` of type `type`. */
export function downloadText(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  download(name, url);
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
