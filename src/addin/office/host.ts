/**
 * The one place the pane touches Office.js for start-up. Outside Outlook (a plain browser: admins, tests)
 * office.js still loads and Office.onReady resolves with host null; without office.js at all we resolve the same way.
 */
export interface HostInfo {
  /** 'Outlook' inside Outlook, null in a plain browser. */
  host: string | null;
  platform: string | null;
}

export function whenOfficeReady(): Promise<HostInfo> {
  const office = (globalThis as { Office?: typeof Office }).Office;
  if (!office?.onReady) return Promise.resolve({ host: null, platform: null });
  return office.onReady().then((info) => ({
    host: info.host ? String(info.host) : null,
    platform: info.platform ? String(info.platform) : null,
  }));
}
