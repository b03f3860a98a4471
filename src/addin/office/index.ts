/**
 * Everything the pane needs from Office.js, as one object the components receive (tests pass their own).
 */
import { isSetSupported, whenOfficeReady, type HostInfo } from './host';
import { mailboxUser, onItemChanged, readCurrentItem, type CurrentItem } from './item';
import { openDialog, type DialogOutcome } from './dialog';
import { currentTheme, onThemeChanged, type ThemeKind } from './theme';

export type { HostInfo, CurrentItem, DialogOutcome, ThemeKind };
export type { ItemPerson } from './item';

export interface OfficeBridge {
  host: HostInfo;
  /** Inside Outlook (as opposed to a plain browser). */
  inOutlook: boolean;
  readCurrentItem(): Promise<CurrentItem | null>;
  onItemChanged(listener: () => void): () => void;
  openDialog(url: string): Promise<DialogOutcome>;
  theme(): ThemeKind;
  /** Live theme changes where Office reports them (Mailbox 1.14); returns the unsubscribe function. */
  onThemeChanged?(listener: () => void): () => void;
  /** Nested App Authentication available (NestedAppAuth 1.1; not for Outlook.com mailboxes). */
  supportsNaa(): boolean;
  mailboxUser(): { email: string; name: string } | null;
}

export async function connectToOffice(): Promise<OfficeBridge> {
  const host = await whenOfficeReady();
  return {
    host,
    inOutlook: host.host !== null,
    readCurrentItem,
    onItemChanged,
    openDialog: (url) => openDialog(url),
    theme: currentTheme,
    onThemeChanged,
    supportsNaa: () => isSetSupported('NestedAppAuth', '1.1'),
    mailboxUser,
  };
}
