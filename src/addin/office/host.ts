/**
 * Start-up: waits for office.js. Outside Outlook (a plain browser: admins, tests) office.js still loads and
 * Office.onReady resolves with host null; without office.js at all we resolve the same way.
 */
export interface HostInfo {
  /** 'Outlook' inside Outlook, null in a plain browser. */
  host: string | null;
  platform: string | null;
}

/** The Office global, or undefined when office.js did not load. */
export function officeGlobal(): typeof Office | undefined {
  return (globalThis as { Office?: typeof Office }).Office;
}

export function whenOfficeReady(): Promise<HostInfo> {
  const office = officeGlobal();
  if (!office?.onReady) return Promise.resolve({ host: null, platform: null });
  return office.onReady().then((info) => ({
    host: info.host ? String(info.host) : null,
    platform: info.platform ? String(info.platform) : null,
  }));
}

/**
 * Whether the host supports a requirement set. `Office.context.requirements` is undefined outside a host,
 * so a plain browser supports nothing.
 */
export function isSetSupported(name: string, version: string): boolean {
  const requirements = officeGlobal()?.context?.requirements;
  if (!requirements || typeof requirements.isSetSupported !== 'function') return false;
  return requirements.isSetSupported(name, version);
}
