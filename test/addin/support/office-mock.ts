/** Installs an office-addin-mock `Office` global shaped like Outlook's (host "outlook"). */
import { OfficeMockObject } from 'office-addin-mock';

export interface MockOptions {
  item?: Record<string, unknown>;
  requirementSets?: Record<string, string>;
  officeTheme?: Record<string, unknown>;
}

export interface InstalledMock {
  office: OfficeMockObject;
  handlers: Map<string, () => void>;
}

function supports(sets: Record<string, string>) {
  return (name: string, version: string) => {
    const have = sets[name];
    if (!have) return false;
    const [a, b] = have.split('.').map(Number);
    const [c, d] = version.split('.').map(Number);
    return a! > c! || (a === c && (b ?? 0) >= (d ?? 0));
  };
}

export function installOfficeMock(opts: MockOptions = {}): InstalledMock {
  const handlers = new Map<string, () => void>();
  const data = {
    host: 'outlook',
    onReady: async () => ({ host: 'Outlook', platform: 'OfficeOnline' }),
    EventType: {
      ItemChanged: 'olkItemSelectedChanged',
      OfficeThemeChanged: 'officeThemeChanged',
      DialogMessageReceived: 'dialogMessageReceived',
      DialogEventReceived: 'dialogEventReceived',
    },
    MailboxEnums: { RestVersion: { v2_0: 'v2.0' } },
    context: {
      requirements: { isSetSupported: supports(opts.requirementSets ?? { Mailbox: '1.8', NestedAppAuth: '1.1' }) },
      officeTheme: opts.officeTheme ?? { bodyBackgroundColor: '#ffffff' },
      mailbox: {
        userProfile: { emailAddress: 'Ann@Example.com', displayName: 'Ann' },
        convertToRestId: (id: string) => `rest:${id}`,
        addHandlerAsync: (type: string, handler: () => void) => {
          handlers.set(type, handler);
        },
        removeHandlerAsync: (type: string) => {
          handlers.delete(type);
        },
        item: opts.item ?? {},
      },
    },
  };
  const office = new OfficeMockObject(data);
  (globalThis as Record<string, unknown>).Office = office;
  return { office, handlers };
}

export function removeOfficeMock(): void {
  delete (globalThis as Record<string, unknown>).Office;
}

/** Compose-mode property: an object with getAsync, as Office.js exposes it while the user edits. */
export function asyncValue<T>(value: T) {
  return { getAsync: (cb: (r: { status: string; value: T }) => void) => cb({ status: 'succeeded', value }) };
}
