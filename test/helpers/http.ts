/** GET on an agent's HTTP port; a refused connection is status 0, so a wait can poll through a restart. */
export async function httpGet(port: number, path: string): Promise<{ code: number; text: string }> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { code: res.status, text: await res.text() };
  } catch {
    return { code: 0, text: "" };
  }
}
